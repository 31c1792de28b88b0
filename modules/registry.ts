import { apt } from './apt.js';
import { aptRepo } from './apt_repo.js';
import { assert } from './assert.js';
import { command } from './command.js';
import { copy } from './copy.js';
import { debug } from './debug.js';
import { fail } from './fail.js';
import { file } from './file.js';
import { jsonFile } from './json_file.js';
import { lineinfile } from './lineinfile.js';
import { lxcConf } from './lxc_conf.js';
import { nvidiaRun } from './nvidia_run.js';
import { pct } from './pct.js';
import { pctPush } from './pct_push.js';
import { reboot } from './reboot.js';
import { setFact } from './set_fact.js';
import { setup } from './setup.js';
import { shell } from './shell.js';
import { stat } from './stat.js';
import { template } from './template.js';
import type { Module } from './types.js';
import { verify } from './verify.js';
import { waitFor } from './wait_for.js';

/** Every built-in module by name. Add a module by importing it and listing it here. */
const builtins: Module[] = [apt, aptRepo, assert, command, copy, debug, fail, file, jsonFile, lineinfile, lxcConf, nvidiaRun, pct, pctPush, reboot, setFact, setup, shell, stat, template, verify, waitFor];

export const modules: ReadonlyMap<string, Module> = new Map(builtins.map((m) => [m.name, m]));

/** Ansible's fully-qualified names resolve to the same module (`ansible.builtin.copy` = `copy`). */
export function findModule(name: string): Module | undefined {
  return modules.get(name.replace(/^ansible\.(builtin|legacy)\./, ''));
}
