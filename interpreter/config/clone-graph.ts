/** What the `clone_from_ctid` edges say: the order to create containers in, each one's depth, and any cycles. */
export interface CloneGraph {
  /** Every CTID not in or below a cycle, each parent before its children, ties by CTID. */
  order: number[];
  /** 0 for containers made from an OS template, parent's depth + 1 for clones. */
  depth: Map<number, number>;
  /** Each cycle once, starting at its smallest CTID, following clone_from_ctid: [901, 903] is 901 -> 903 -> 901. */
  cycles: number[][];
}

/** `parents` maps each CTID to the CTID it clones from (undefined for a container made from an OS template). */
export function analyseCloneGraph(parents: ReadonlyMap<number, number | undefined>): CloneGraph {
  return { ...cloneOrder(parents), cycles: findCycles(parents) };
}

/** Kahn's algorithm, always taking the smallest ready CTID, so the order is stable and easy to predict. */
function cloneOrder(parents: ReadonlyMap<number, number | undefined>): Pick<CloneGraph, 'order' | 'depth'> {
  const children = new Map<number, number[]>();
  for (const [ctid, parent] of parents) {
    if (parent !== undefined && parents.has(parent)) children.set(parent, [...(children.get(parent) ?? []), ctid]);
  }
  const ready = [...parents.keys()].filter((ctid) => {
    const parent = parents.get(ctid);
    return parent === undefined || !parents.has(parent);
  });
  const depth = new Map<number, number>(ready.map((ctid) => [ctid, 0]));
  const order: number[] = [];
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const next = ready.shift() as number;
    order.push(next);
    for (const kid of children.get(next) ?? []) {
      depth.set(kid, (depth.get(next) ?? 0) + 1);
      ready.push(kid);
    }
  }
  return { order, depth };
}

function findCycles(parents: ReadonlyMap<number, number | undefined>): number[][] {
  const done = new Set<number>();
  const cycles: number[][] = [];
  for (const start of [...parents.keys()].sort((a, b) => a - b)) {
    const path: number[] = [];
    let at: number | undefined = start;
    while (at !== undefined && parents.has(at) && !done.has(at) && !path.includes(at)) {
      path.push(at);
      at = parents.get(at);
    }
    if (at !== undefined && path.includes(at)) {
      const cycle = path.slice(path.indexOf(at));
      const smallest = cycle.indexOf(Math.min(...cycle));
      cycles.push([...cycle.slice(smallest), ...cycle.slice(0, smallest)]);
    }
    for (const ctid of path) done.add(ctid);
  }
  return cycles;
}
