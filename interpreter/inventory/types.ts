import type { SourcePosition } from '../errors.js';

/** Variables as read from YAML/JSON, with where each key was written (for later error messages). */
export interface VarsWithPositions {
  vars: Record<string, unknown>;
  positions: Record<string, SourcePosition>;
}

/** One inventory host. */
export interface InventoryHost {
  name: string;
  /** Variables written under the host in inventory files (later occurrences win, as in Ansible). */
  vars: Record<string, unknown>;
  varPositions: Record<string, SourcePosition>;
  /** Groups the host is listed in directly, in the order it was added (ancestors are computed). */
  groups: string[];
  /** Where the host first appears. */
  pos?: SourcePosition;
  /** Inventory file the host first appears in (Ansible's `inventory_file`), absolute. */
  source?: string;
  /** True for the implicit `localhost` created when a pattern names it and the inventory does not. */
  implicit?: boolean;
}

/** One inventory group, with the graph edges in both directions. */
export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in the group, in order of addition. */
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
  varPositions: Record<string, SourcePosition>;
  /** `ansible_group_priority` (default 1): among groups of one depth, higher wins. Not kept in `vars`. */
  priority: number;
  /** Longest path from `all` (0 for `all`); deeper groups' variables win. */
  depth: number;
  /** Where the group is first defined (absent for the implicit `all`/`ungrouped`). */
  pos?: SourcePosition;
}

/** `host_vars/` and `group_vars/` found in one directory, loaded for every known host and group. */
export interface VarsLayer {
  /** The directory that holds `host_vars/` and `group_vars/`. */
  dir: string;
  /** Inventory-adjacent or playbook-adjacent: playbook-adjacent layers win. */
  origin: 'inventory' | 'playbook';
  hostVars: Map<string, VarsWithPositions>;
  groupVars: Map<string, VarsWithPositions>;
}

/** The loaded inventory: everything the pattern, variable and rendering functions need. */
export interface Inventory {
  /** Hosts in order of first appearance (Ansible's inventory order). */
  hosts: Map<string, InventoryHost>;
  /** Groups in order of first appearance, starting with `all` and `ungrouped`. */
  groups: Map<string, InventoryGroup>;
  /** Inventory sources as given (files or directories), absolute. */
  sources: string[];
  /** Vars layers in precedence order (later wins within one origin; see hostVars). */
  varsLayers: VarsLayer[];
  /** Implicit localhost-like hosts created on demand by patterns (never members of `all`). */
  implicitHosts: Map<string, InventoryHost>;
}

/** Names that make an implicit local host when a pattern uses them and the inventory lacks them (ansible's C.LOCALHOST). */
export const LOCALHOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '::1'];
