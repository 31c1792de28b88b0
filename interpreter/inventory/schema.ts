import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ErrorList, PhoenixError } from '../errors.js';
import { nodeAtPath, nodePos, type YamlSource } from './yaml-source.js';

/**
 * Ansible's YAML inventory: top-level keys are groups; a group has `hosts`, `vars`, `children`, each a mapping or
 * null (a single name as a plain string is accepted for `hosts` and `children`, as Ansible does).
 */
export const inventorySchema = {
  $id: 'phoenix:inventory',
  type: 'object',
  additionalProperties: { $ref: '#/$defs/group' },
  $defs: {
    group: {
      type: ['object', 'null'],
      properties: {
        hosts: {
          type: ['object', 'string', 'null'],
          additionalProperties: { type: ['object', 'null'] },
        },
        vars: { type: ['object', 'null'] },
        children: {
          type: ['object', 'string', 'null'],
          additionalProperties: { $ref: '#/$defs/group' },
        },
      },
      additionalProperties: false,
    },
  },
} as const;

/** ajv is loaded (synchronously, it is CommonJS) only when an inventory file has a shape problem to describe. */
function loadAjv(): typeof AjvModule.default {
  return (createRequire(import.meta.url)('ajv') as typeof AjvModule).default;
}

/**
 * Compiled once per process, and only when {@link isWellShaped} finds a problem: compiling costs ~25 ms of start-up,
 * and ajv is only needed to describe what is wrong.
 */
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) compiled = new (loadAjv())({ allErrors: true, allowUnionTypes: true, strict: true }).compile(inventorySchema);
  return compiled;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isGroupBody = (v: unknown): boolean => v === null || (isMapping(v) && Object.entries(v).every(([k, section]) => isSection(k, section)));

function isSection(key: string, value: unknown): boolean {
  if (key === 'vars') return value === null || isMapping(value);
  if (key !== 'hosts' && key !== 'children') return false;
  if (value === null || typeof value === 'string') return true;
  if (!isMapping(value)) return false;
  return Object.values(value).every(key === 'hosts' ? (h) => h === null || isMapping(h) : isGroupBody);
}

/** The same rules as {@link inventorySchema}, as a plain function (a test keeps the two in agreement). */
export function isWellShaped(data: unknown): boolean {
  return isMapping(data) && Object.values(data).every(isGroupBody);
}

/** Validates the shape of one inventory file; every violation becomes an error at its YAML position. */
export function validateInventoryShape(src: YamlSource, data: unknown, errors: ErrorList): boolean {
  if (isWellShaped(data)) return true;
  const validate = validator();
  if (validate(data)) return true;
  for (const err of validate.errors ?? []) errors.add(schemaError(src, err));
  return false;
}

function pointerPath(pointer: string): string[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function schemaError(src: YamlSource, err: ErrorObject): PhoenixError {
  const path = pointerPath(err.instancePath);
  const where = path.length ? path.join('.') : 'the file';
  if (err.keyword === 'additionalProperties') {
    const key = String((err.params as { additionalProperty: string }).additionalProperty);
    const pos = nodePos(src, nodeAtPath(src, [...path, key], true));
    return new PhoenixError('E_INVENTORY_KEY', `unknown key '${key}' in group ${path.at(-1) ?? ''}: only hosts, vars and children are allowed`, {
      pos,
      hint: 'host variables go under the host, group variables under vars',
    });
  }
  const pos = nodePos(src, nodeAtPath(src, path));
  const expected = err.keyword === 'type' ? `must be ${String((err.params as { type: string | string[] }).type).replace(/,/g, ' or ')}` : err.message;
  return new PhoenixError('E_INVENTORY_SCHEMA', `inventory ${where} ${expected}`, { pos });
}
