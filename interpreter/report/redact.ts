import type { EventSink, RunEvent } from '../events.js';

/** What a secret becomes in every output. */
export const MASK = '********';

/** Replaces every occurrence of every secret (longest first, so a secret inside another goes with it) by {@link MASK}. */
export function redactor(secrets: Iterable<string>): (text: string) => string {
  const sorted = [...new Set(secrets)].filter((s) => s !== '').sort((a, b) => b.length - a.length);
  if (sorted.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const secret of sorted) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out;
  };
}

/**
 * An event sink that masks secrets in everything it passes on: messages, results, registered data, diffs, loop labels,
 * command lines of -v, errors. It works on the values before any reporter formats them, so JSON escaping or YAML
 * folding cannot split a secret past it.
 */
export function redactingSink(emit: EventSink, secrets: Iterable<string>): EventSink {
  const list = [...secrets].filter((s) => s !== '');
  if (list.length === 0) return emit;
  const redact = redactor(list);
  return (event) => emit(redactValue(event, redact) as RunEvent);
}

/** A copy of `value` with every string redacted; errors keep their class, code and position. */
export function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, redact));
  if (value instanceof Error) return redactError(value, redact);
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, redact);
    return out;
  }
  return value;
}

/** The same error with its message, hint and nested errors redacted (a PhoenixError stays one: the exit code comes from it). */
export function redactError<E extends Error>(error: E, redact: (text: string) => string): E {
  const copy = Object.create(Object.getPrototypeOf(error)) as E;
  for (const [key, value] of Object.entries(error)) (copy as Record<string, unknown>)[key] = redactValue(value, redact);
  Object.defineProperty(copy, 'message', { value: redact(error.message), writable: true, configurable: true });
  if (error.stack) Object.defineProperty(copy, 'stack', { value: redact(error.stack), writable: true, configurable: true });
  return copy;
}
