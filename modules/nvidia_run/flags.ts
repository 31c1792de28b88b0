import { shellCommand } from '../../interpreter/connection/quote.js';

/** Where the `.run` is installed: the Proxmox node (kernel module) or an LXC container (user space only). */
export type RunMode = 'host' | 'container';

/**
 * Installer flags on the node (domain.md 2.1/2.2, 5.5):
 * - `--silent`: no questions, errors only on stderr; a playbook has no one to answer.
 * - `--dkms`: register the module with DKMS so a Proxmox kernel update rebuilds it (5.5 #1: "breaks after a kernel update").
 * - `--no-questions`, `--ui=none`: implied by `--silent`, spelled out so a user who replaces `--silent` in `flags`
 *   still never gets an ncurses prompt on a TTY-less SSH session.
 * - `--disable-nouveau`: the installer's default, explicit: it also writes its own modprobe blacklist (belt and braces
 *   with ours).
 * - `--no-x-check`: do not abort because an X server runs; a PVE node with a desktop is the user's choice.
 */
export const HOST_FLAGS: readonly string[] = ['--silent', '--dkms', '--no-questions', '--ui=none', '--disable-nouveau', '--no-x-check'];

/**
 * Installer flags in a container (domain.md 2.2):
 * - `--no-kernel-module`: the container runs the node's kernel; without it the installer stops with "An NVIDIA kernel
 *   module 'nvidia-uvm' appears to already be loaded" (canonical/lxd#5415) and would try to replace the node's module.
 * - `--no-nvidia-modprobe`: the setuid helper creates device nodes, which in a container come from passthrough.
 * - `--no-x-check`, `--no-nouveau-check`: no X server, and nouveau is the node's business.
 * - `--silent`, `--no-questions`, `--ui=none`: as on the node.
 */
export const CONTAINER_FLAGS: readonly string[] = [
  '--silent', '--no-kernel-module', '--no-nvidia-modprobe', '--no-x-check', '--no-nouveau-check', '--no-questions', '--ui=none',
];

/** The flags for a run: `flags` replaces the mode's defaults, `extra_flags` is appended, `tmpdir` adds `--tmpdir`. */
export function installerFlags(mode: RunMode, options: { flags?: string[]; extra_flags?: string[]; tmpdir?: string }): string[] {
  const base = options.flags ?? (mode === 'host' ? HOST_FLAGS : CONTAINER_FLAGS);
  const tmp = options.tmpdir ? ['--tmpdir', options.tmpdir] : [];
  return [...base, ...(options.extra_flags ?? []), ...tmp];
}

/** The exact command that runs the installer: `sh <file> <flags>` (sh, so the file needs no exec bit or exec mount). */
export function installerCommand(file: string, flags: readonly string[]): string {
  return shellCommand('sh', file, ...flags);
}

/** `NVIDIA-Linux-x86_64-580.76.05.run` from a URL (query and fragment dropped); the caller checks it is a plain name. */
export function runfileName(url: string): string {
  const path = url.replace(/[?#].*$/, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  return decodeURIComponent(name);
}
