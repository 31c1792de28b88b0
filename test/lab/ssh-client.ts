import { exec, type Exec } from '../../lab/exec.js';
import type { LabInfo, LabNodeInfo } from '../../lab/lab.js';

/**
 * Runs one command on a lab node over real SSH with OpenSSH's client, host keys checked against the lab's
 * known_hosts (StrictHostKeyChecking=yes), as the lab's login account. For tests of the lab itself.
 */
export function sshRun(info: LabInfo, node: LabNodeInfo, command: string, input?: string): Promise<Exec> {
  return exec('ssh', [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${info.knownHosts}`,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'ConnectTimeout=5',
    '-i', info.privateKey,
    '-p', String(node.port),
    `${info.user}@127.0.0.1`,
    command,
  ], input);
}
