import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ErrorList } from '../../../interpreter/errors.js';
import { loadInventory, type Inventory, type LoadInventoryOptions } from '../../../interpreter/inventory/index.js';

/** Absolute path of a fixture (tests run from dist/, the fixtures stay in the source tree). */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../../../../test/interpreter/inventory/fixtures/${name}`, import.meta.url));
}

/** A file recorded from the real ansible-core by record.sh. */
export function expected(name: string): string {
  return readFileSync(fixture(`expected/${name}`), 'utf8');
}

/** Loads fixture sources and returns the inventory with whatever errors were collected. */
export function load(sources: string[], options: LoadInventoryOptions = {}): { inv: Inventory; errors: ErrorList } {
  const errors = new ErrorList();
  const inv = loadInventory(sources.map(fixture), { ...options, varsDirs: options.varsDirs?.map(fixture) }, errors);
  return { inv, errors };
}

/** Loads fixture sources that must load without any error. */
export function loadClean(sources: string[], options: LoadInventoryOptions = {}): Inventory {
  const { inv, errors } = load(sources, options);
  errors.throwIfAny();
  return inv;
}

/** The errors as `CODE file:line:column` strings (file relative to the fixtures folder), easy to compare whole. */
export function errorSummary(errors: ErrorList): string[] {
  return errors.errors.map((e) => {
    const where = e.pos ? ` ${e.pos.file.replace(fixture(''), '')}:${e.pos.line}:${e.pos.column}` : '';
    return `${e.code}${where}`;
  });
}
