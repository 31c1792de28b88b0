/**
 * Where an expression's tokens are in the YAML file (Locator), and the syntax errors positioned there.
 */
import { PhoenixError, type SourcePosition } from '../errors.js';
import type { Token } from './tokens.js';

/** Maps offsets of the expression text to positions in the YAML file. */
export class Locator {
  private readonly lineStarts: number[] = [0];

  constructor(
    text: string,
    private readonly origin?: SourcePosition,
  ) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  at(offset: number): SourcePosition {
    let line = 0;
    for (let lo = 0, hi = this.lineStarts.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if (this.lineStarts[mid] <= offset) (line = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    const column = offset - this.lineStarts[line];
    if (!this.origin) return { file: '<expression>', line: line + 1, column: column + 1 };
    // Only the first line starts at the origin's column; later lines of a block scalar start at their own.
    return {
      file: this.origin.file,
      line: this.origin.line + line,
      column: line === 0 ? this.origin.column + column : column + 1,
    };
  }
}

export function syntaxError(message: string, pos: SourcePosition, code = 'E_EXPR_SYNTAX'): PhoenixError {
  return new PhoenixError(code, message, { pos });
}

export function describe(token: Token): string {
  if (token.kind === 'end') return 'end of expression';
  if (token.kind === 'string') return `string ${JSON.stringify(token.text)}`;
  return `'${token.text}'`;
}
