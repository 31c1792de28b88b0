import { basename } from 'node:path';
import type { Node, Play, Playbook } from '../playbook/types.js';
import { tagsSelected } from '../executor/tags.js';

/** What `--list-hosts`, `--list-tasks` and `--list-tags` print, in ansible-playbook's layout. */
export interface ListingRequest {
  hosts: boolean;
  tasks: boolean;
  tags: boolean;
  onlyTags: string[];
  skipTags: string[];
  /** Hosts of a play after --limit. */
  playHosts(play: Play): string[];
}

export function renderListing(playbook: Playbook, request: ListingRequest, playbookArg: string): string {
  const lines = ['', `playbook: ${playbookArg || basename(playbook.file)}`];
  playbook.plays.forEach((play, i) => {
    lines.push('', `  play #${i + 1} (${play.hosts}): ${play.name}\tTAGS: [${play.tags.join(', ')}]`);
    if (request.hosts) {
      const hosts = request.playHosts(play);
      lines.push(`    pattern: ['${play.hosts}']`, `    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    const tasks = listedTasks(play, request);
    if (request.tasks) {
      lines.push('    tasks:', ...tasks.map((t) => `      ${t.name}\tTAGS: [${[...t.tags].sort().join(', ')}]`));
    }
    if (request.tags) {
      const all = new Set(tasks.flatMap((t) => t.tags));
      lines.push(`      TASK TAGS: [${[...all].sort().join(', ')}]`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** Tasks as ansible lists them: imports expanded, includes shown as one line, handlers left out. */
function listedTasks(play: Play, request: ListingRequest): Array<{ name: string; tags: string[] }> {
  const out: Array<{ name: string; tags: string[] }> = [];
  const visit = (nodes: Node[]): void => {
    for (const node of nodes) {
      if (node.kind === 'block') {
        [node.block, node.rescue, node.always].forEach(visit);
        continue;
      }
      if (node.kind === 'meta') continue;
      if (!tagsSelected(node.tags, request.onlyTags, request.skipTags)) continue;
      out.push({ name: node.name, tags: node.tags });
    }
  };
  [play.preTasks, play.tasks, play.postTasks].forEach(visit);
  return out;
}
