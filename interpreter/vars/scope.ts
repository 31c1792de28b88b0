import { PhoenixError } from '../errors.js';
import { isTemplated, renderString } from './template.js';

/** The variable sources of one task on one host, lowest precedence first (Ansible's order; README lists it). */
export interface VarLayers {
  /** Inventory: all group < parent groups < child groups < host < host_vars files. */
  inventory: Record<string, unknown>;
  play: Record<string, unknown>;
  varsFiles: Record<string, unknown>;
  /** Block and task `vars` (inner wins), include_tasks vars. */
  node: Record<string, unknown>;
  /** set_fact and registered results of this host: above task vars, as in ansible-core. */
  facts: Record<string, unknown>;
  /** The loop variable(s) of the current item. */
  loop?: Record<string, unknown>;
  extra: Record<string, unknown>;
  /** inventory_hostname, groups, hostvars, playbook_dir, ansible_check_mode ... */
  magic: Record<string, unknown>;
}

const MAX_DEPTH = 32;

/**
 * Merges the layers into one object that templates and conditions read. Variables are lazy as in Ansible:
 * `b: "{{ a }}"` is rendered when `b` is read, with the same scope, so later layers are seen.
 */
export function buildScope(layers: VarLayers): Record<string, unknown> {
  const merged: Record<string, unknown> = Object.assign(
    {}, layers.inventory, layers.play, layers.varsFiles, layers.node, layers.facts, layers.loop ?? {}, layers.magic, layers.extra,
  );
  return lazyView(merged);
}

/** A read-only view that renders templated strings on access, with a guard against self-reference. */
export function lazyView(target: Record<string, unknown>): Record<string, unknown> {
  const rendering = new Set<string>();
  const cache = new Map<object, object>();
  let root: Record<string, unknown>;
  const wrap = (value: unknown, path: string): unknown => {
    if (typeof value === 'string' && isTemplated(value)) {
      if (rendering.has(path) || rendering.size > MAX_DEPTH) {
        throw new PhoenixError('E_TEMPLATE_LOOP', `variable '${path}' refers to itself`, {
          hint: 'a variable cannot be defined in terms of itself; rename one of them',
        });
      }
      rendering.add(path);
      try {
        return wrap(renderString(value, root, { what: `variable '${path}'` }), path);
      } finally {
        rendering.delete(path);
      }
    }
    if (value && typeof value === 'object' && !(value instanceof Uint8Array)) return view(value as object, path);
    return value;
  };
  const view = (obj: object, path: string): object => {
    const cached = cache.get(obj);
    if (cached) return cached;
    const proxy = new Proxy(obj, {
      get(t, key, receiver) {
        const value = Reflect.get(t, key, receiver);
        if (typeof key === 'symbol' || !Object.prototype.hasOwnProperty.call(t, key)) return value;
        return wrap(value, path ? `${path}.${key}` : key);
      },
      set() {
        throw new Error('variables are read-only here');
      },
    });
    cache.set(obj, proxy);
    return proxy;
  };
  root = view(target, '') as Record<string, unknown>;
  return root;
}

/** Deep copy of a value read through a lazy view, fully rendered (for register, set_fact, module args). */
export function materialize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(materialize);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(out, key, { value: materialize((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
