import type { RemoteShell } from './remote-shell.js';

/**
 * The idle remote shells of one SSH connection, by what started them (`exec /bin/sh` for the host, `pct exec <vmid>
 * -- ...` for a container), least recently used first. Each holds a channel, and sshd allows only so many
 * (MaxSessions), so the oldest is ended to make room when a new one must start.
 */
export class IdleShells {
  private entries: Array<{ key: string; shell: RemoteShell }> = [];

  get size(): number {
    return this.entries.length;
  }

  /** Whether a shell started by `key` is waiting here (it may have died since: take() says). */
  has(key: string): boolean {
    return this.entries.some((e) => e.key === key);
  }

  /** The most recently used live shell started by `key` (dead ones are dropped on the way). */
  take(key: string): RemoteShell | undefined {
    this.entries = this.entries.filter((e) => e.shell.usable || (e.shell.end(), false));
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].key !== key) continue;
      return this.entries.splice(i, 1)[0].shell;
    }
    return undefined;
  }

  /** The keys of the shells still usable, oldest first (what a keeper started after this run opens again). */
  liveKeys(): string[] {
    return this.entries.filter((e) => e.shell.usable).map((e) => e.key);
  }

  give(key: string, shell: RemoteShell): void {
    this.entries.push({ key, shell });
  }

  /** Ends the least recently used shell; false when there is none. */
  endOldest(): boolean {
    const oldest = this.entries.shift();
    oldest?.shell.end();
    return oldest !== undefined;
  }

  endAll(): void {
    for (const { shell } of this.entries.splice(0)) shell.end();
  }
}
