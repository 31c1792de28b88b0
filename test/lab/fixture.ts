import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionPool, type HostVars } from '../../interpreter/connection/pool.js';
import { labNode, releaseLab, startLab, type LabInfo, type LabOptions } from '../../lab/lab.js';
import { parseVe, type Ve } from '../../lab/paths.js';

/**
 * The Proxmox VE version of a test's private node when the test does not name one: `PHOENIX_LAB_VE=9` runs the lab
 * suites (site.yml's among them) on Debian 13 nodes; default 8.
 */
export function defaultVe(): Ve {
  const value = process.env.PHOENIX_LAB_VE;
  return value === undefined || value === '' ? 8 : parseVe(value, 'PHOENIX_LAB_VE');
}

/** Why lab tests are skipped, or undefined when they run (PHOENIX_SKIP_LAB=1 is the only way to skip them). */
export function labSkipReason(): string | undefined {
  if (process.env.PHOENIX_SKIP_LAB === '1') return 'PHOENIX_SKIP_LAB=1';
  return undefined;
}

/**
 * A lab for one test file. Reuses the running lab or starts one, holding a lease on it; `release` gives the lease
 * back and the last holder stops the lab, unless it was started by `npm run lab:up` (kept until `lab:down`). Parallel
 * `npm test` runs on one machine thus share one lab safely.
 */
export class LabLease {
  info!: LabInfo;
  private readonly id = `test-${process.pid}-${randomBytes(4).toString('hex')}`;

  /** The node this lease works on: its (first) private node with `privateNode`/`privateNodes`, else `pve1`. */
  node = 'pve1';
  /** Every private node of this lease, in the order asked for. */
  nodes: string[] = [];

  /**
   * `privateNode: true` gives this test file a node of its own (`lab-<hex>`, removed at release) for tests that
   * change node-wide state (the loaded driver, /etc, reboots) while other runs share pve1; of Proxmox VE
   * {@link defaultVe}, or the one named (`privateNode: { ve: 9 }`). `privateNodes: [8, 9]` gives one node per entry
   * (`lab-<hex>-1`, `lab-<hex>-2`: `nodes`), of those versions.
   */
  async acquire(options: Omit<LabOptions, 'privateNode'> & { privateNode?: boolean | { ve: Ve }; privateNodes?: Ve[] } = {}): Promise<LabInfo> {
    const { privateNode, privateNodes, ...rest } = options;
    const base = `lab-${this.id.slice(-8)}`;
    const specs = privateNodes?.map((ve, i) => ({ name: `${base}-${i + 1}`, ve }))
      ?? (privateNode ? [{ name: base, ve: typeof privateNode === 'object' ? privateNode.ve : defaultVe() }] : []);
    this.nodes = specs.map((s) => s.name);
    if (specs.length > 0) this.node = specs[0]!.name;
    this.info = await startLab({ ...rest, holder: { lease: this.id }, ...(specs.length ? { privateNode: specs } : {}) });
    return this.info;
  }

  async release(): Promise<void> {
    await releaseLab(this.id);
  }
}

/** Prints why a lab test file is skipped (uvu has no skip report of its own). */
export function announceSkip(file: string, reason: string): void {
  process.stdout.write(`\n  skipped ${file}: ${reason}\n`);
}

/** Connection variables of a lab node, as `.lab/inventory.yml` gives them (private nodes too, which it leaves out). */
export function labNodeVars(lease: LabLease, name = lease.node): HostVars {
  return {
    ansible_host: '127.0.0.1', ansible_port: labNode(name).port, ansible_user: lease.info.user,
    ansible_ssh_private_key_file: lease.info.privateKey, phoenix_known_hosts_file: lease.info.knownHosts,
  };
}

/**
 * phoenix's connection pool for a test file, with a throwaway HOME so this machine's `~/.ssh/config` never applies.
 * `dispose` closes the connections and removes the HOME.
 */
export function labPool(hostVars: (host: string) => HostVars | undefined): { pool: ConnectionPool; dispose(): Promise<void> } {
  const home = mkdtempSync(join(tmpdir(), 'phoenix-lab-home-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  writeFileSync(join(home, '.ssh', 'config'), '');
  const pool = new ConnectionPool({ hostVars: (h) => hostVars(h) ?? {}, home, env: {} });
  return {
    pool,
    async dispose() {
      await pool.closeAll();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** An inventory of lab nodes in group `proxmox` (private nodes included), with optional `all` vars. */
export function labInventoryText(lease: LabLease, nodes: string[] = [lease.node], allVars: Record<string, unknown> = {}): string {
  const vars = Object.entries(allVars);
  return [
    'all:',
    ...(vars.length ? ['  vars:', ...vars.map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`)] : []),
    '  children:', '    proxmox:', '      hosts:',
    ...nodes.flatMap((n) => [`        ${n}:`, ...Object.entries(labNodeVars(lease, n)).map(([k, v]) => `          ${k}: ${v}`)]),
    '',
  ].join('\n');
}

/**
 * Rewrites the driver version (and its .run URL, from the lab's artifact server) in both config files of `dir`,
 * as a user upgrading would; `lxcVersion` sets the lxc file's copies to another version (a mismatch test).
 */
export function setConfigDriverVersion(dir: string, runfileUrls: Record<string, string>, version: string, lxcVersion = version): void {
  const hvFile = join(dir, 'phoenix_hypervisor_config.json');
  const lxcFile = join(dir, 'phoenix_lxc_configs.json');
  const hv = JSON.parse(readFileSync(hvFile, 'utf8'));
  const lxc = JSON.parse(readFileSync(lxcFile, 'utf8'));
  hv.nvidia_driver.version = version;
  hv.nvidia_driver.runfile_url = runfileUrls[version];
  lxc.nvidia_driver_version = lxcVersion;
  lxc.nvidia_runfile_url = runfileUrls[lxcVersion] ?? hv.nvidia_driver.runfile_url;
  writeFileSync(hvFile, JSON.stringify(hv, null, 2));
  writeFileSync(lxcFile, JSON.stringify(lxc, null, 2));
}
