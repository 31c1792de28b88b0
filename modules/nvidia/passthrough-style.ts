import { shellCommand } from '../../interpreter/connection/quote.js';
import { connectionIdentity, type Connection } from '../../interpreter/connection/types.js';
import { ModuleFailure } from '../types.js';
import { compareVersions } from './versions.js';

/** pve-container 5.0.7 (PVE 8.1) added devN (domain 1.4). */
export const DEVN_MIN_PVE_CONTAINER = '5.0.7';

/** What `lxc_conf` writes: raw `lxc.*` lines in the config file, or `devN:` entries through `pct set`. */
export type PassthroughStyle = 'raw' | 'devN';

/** The style a task uses on its node and why (`data.style`, `data.style_reason`, and the ok reason). */
export interface StyleChoice {
  style: PassthroughStyle;
  reason: string;
}

/** The answer per node connection: one run asks each node once, not once per container task (no task upgrades pve-container). */
const asked = new WeakMap<Connection, Promise<string | undefined>>();

/** pve-container's version as dpkg knows it (`6.0.9`); undefined where dpkg does not know the package. */
export function probePveContainerVersion(conn: Connection): Promise<string | undefined> {
  const node = connectionIdentity(conn);
  let answer = asked.get(node);
  if (!answer) {
    answer = conn.run(shellCommand('dpkg-query', '-W', '-f=${Version}', 'pve-container')).then((result) => {
      const version = /^(\d+(?:\.\d+)*)/.exec(result.stdout.trim())?.[1];
      return result.rc === 0 ? version : undefined;
    });
    asked.set(node, answer);
    answer.catch(() => asked.delete(node));
  }
  return answer;
}

/**
 * The style for `asked` on a node whose pve-container is `version`: `auto` is devN from 5.0.7 (PVE 8.1) on, raw
 * before that and where dpkg does not know pve-container (raw lines work on every version). An explicit devN on
 * an older node fails; where dpkg cannot tell, `pct set` decides.
 */
export function chooseStyle(asked: PassthroughStyle | 'auto', version: string | undefined): StyleChoice {
  const hasDevN = version !== undefined && compareVersions(version, DEVN_MIN_PVE_CONTAINER) >= 0;
  if (asked === 'raw') return { style: 'raw', reason: 'raw as configured' };
  if (asked === 'devN') {
    if (version !== undefined && !hasDevN) {
      throw new ModuleFailure(`style devN needs pve-container >= ${DEVN_MIN_PVE_CONTAINER} (PVE 8.1); this node has ` +
        `${version}: use style raw (or auto)`);
    }
    return { style: 'devN', reason: version ? `devN as configured (pve-container ${version})` : 'devN as configured' };
  }
  if (version === undefined) return { style: 'raw', reason: 'auto chose raw: dpkg does not know pve-container' };
  return hasDevN
    ? { style: 'devN', reason: `auto chose devN: pve-container ${version} >= ${DEVN_MIN_PVE_CONTAINER} (PVE 8.1)` }
    : { style: 'raw', reason: `auto chose raw: pve-container ${version} < ${DEVN_MIN_PVE_CONTAINER} (devN came with PVE 8.1)` };
}

/** {@link chooseStyle} for this node: dpkg is asked only when the answer depends on it. */
export async function styleOnNode(conn: Connection, asked: PassthroughStyle | 'auto'): Promise<StyleChoice> {
  return chooseStyle(asked, asked === 'raw' ? undefined : await probePveContainerVersion(conn));
}
