import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { ErrorList, PhoenixError } from '../errors.js';
import { nodeAtPath, nodePos, type YamlSource } from './yamlSource.js';

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

// ajv ships CommonJS; under NodeNext its default export is the module object holding the class.
const Ajv = AjvModule.default;

/** Compiled once per process, on first use, so a CLI start that never loads an inventory pays nothing. */
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (!compiled) compiled = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true }).compile(inventorySchema);
  return compiled;
}

/** Validates the shape of one inventory file; every violation becomes an error at its YAML position. */
export function validateInventoryShape(src: YamlSource, data: unknown, errors: ErrorList): boolean {
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
