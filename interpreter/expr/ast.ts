import type { SourcePosition } from '../errors.js';

/** Operators of a (possibly chained) comparison: `a < b <= c`, `x in y`, `x not in y`. */
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

/** Arithmetic and string operators. `~` is Jinja's string concatenation. */
export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%' | '**' | '~';

/** Positional and keyword arguments of a filter, test or method call. */
export interface CallArgs {
  args: Expr[];
  kwargs: Array<{ name: string; value: Expr }>;
}

interface Node {
  /** Where the node starts, in the YAML file when the caller gave an origin. */
  pos: SourcePosition;
}

/** A parsed expression. Built only by {@link parseExpression}; run by {@link evaluate}. */
export type Expr =
  | (Node & { kind: 'literal'; value: unknown })
  | (Node & { kind: 'name'; name: string })
  | (Node & { kind: 'list'; items: Expr[] })
  | (Node & { kind: 'dict'; entries: Array<[Expr, Expr]> })
  | (Node & { kind: 'attr'; object: Expr; name: string })
  | (Node & { kind: 'index'; object: Expr; index: Expr })
  | (Node & { kind: 'slice'; object: Expr; start?: Expr; stop?: Expr; step?: Expr })
  | (Node & { kind: 'method'; object: Expr; name: string } & CallArgs)
  | (Node & { kind: 'neg' | 'pos' | 'not'; operand: Expr })
  | (Node & { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr })
  | (Node & { kind: 'and' | 'or'; left: Expr; right: Expr })
  | (Node & { kind: 'compare'; first: Expr; rest: Array<{ op: CompareOp; operand: Expr; pos: SourcePosition }> })
  | (Node & { kind: 'filter'; name: string; subject: Expr } & CallArgs)
  | (Node & { kind: 'test'; name: string; subject: Expr; negated: boolean } & CallArgs)
  | (Node & { kind: 'cond'; test: Expr; then: Expr; otherwise?: Expr });
