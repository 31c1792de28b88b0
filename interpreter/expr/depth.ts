/**
 * The depth limit of a parsed expression tree: checked iteratively after parsing, because the evaluator is
 * recursive and a pathological tree would overflow its stack.
 */
import type { Expr } from './ast.js';
import { syntaxError } from './syntax-error.js';

/** Trees deeper than this (e.g. a chain of 1000 `or`) are refused: the evaluator is recursive too. */
const MAX_DEPTH = 400;

function children(expr: Expr): Expr[] {
  switch (expr.kind) {
    case 'literal':
    case 'name':
      return [];
    case 'list':
      return expr.items;
    case 'dict':
      return expr.entries.flat();
    case 'attr':
      return [expr.object];
    case 'index':
      return [expr.object, expr.index];
    case 'slice':
      return [expr.object, expr.start, expr.stop, expr.step].filter((e): e is Expr => e !== undefined);
    case 'method':
    case 'filter':
    case 'test':
      return [expr.kind === 'method' ? expr.object : expr.subject, ...expr.args, ...expr.kwargs.map((k) => k.value)];
    case 'neg':
    case 'pos':
    case 'not':
      return [expr.operand];
    case 'binary':
    case 'and':
    case 'or':
      return [expr.left, expr.right];
    case 'compare':
      return [expr.first, ...expr.rest.map((r) => r.operand)];
    case 'cond':
      return [expr.test, expr.then, ...(expr.otherwise ? [expr.otherwise] : [])];
  }
}

/** Iterative, so a pathological tree is refused here instead of overflowing the stack of the evaluator. */
export function checkDepth(root: Expr): void {
  const stack: Array<[Expr, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [expr, depth] = stack.pop()!;
    if (depth > MAX_DEPTH) throw syntaxError('expression is too deeply nested or too long a chain', expr.pos);
    for (const child of children(expr)) stack.push([child, depth + 1]);
  }
}
