import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { analyseCloneGraph } from '../../../interpreter/config/index.js';

/** [description, CTID -> parent (null: from an OS template), order, depths in order, cycles]. */
const CASES: Array<[string, Record<number, number | null>, number[], number[], number[][]]> = [
  ['the example tree', { 900: null, 901: 900, 902: 900, 903: 901, 950: 903 }, [900, 901, 902, 903, 950], [0, 1, 1, 2, 3], []],
  ['written out of order', { 950: 903, 903: 901, 902: 900, 901: 900, 900: null }, [900, 901, 902, 903, 950], [0, 1, 1, 2, 3], []],
  ['a child with a smaller CTID than its parent waits for it', { 100: 300, 200: null, 300: 200 }, [200, 300, 100], [0, 1, 2], []],
  ['ties by CTID across independent trees', { 500: null, 400: null, 501: 500, 401: 400 }, [400, 401, 500, 501], [0, 1, 0, 1], []],
  ['a smaller ready root comes before a deeper child', { 900: null, 910: 900, 905: null }, [900, 905, 910], [0, 0, 1], []],
  ['a self-clone', { 901: 901, 900: null }, [900], [0], [[901]]],
  ['a two-cycle and its descendants are left out of the order', { 900: null, 901: 903, 903: 901, 950: 903 }, [900], [0], [[901, 903]]],
  ['a three-cycle starts at its smallest CTID', { 930: 920, 910: 930, 920: 910 }, [], [], [[910, 930, 920]]],
  ['two cycles', { 101: 102, 102: 101, 201: 203, 202: 201, 203: 202 }, [], [], [[101, 102], [201, 203, 202]]],
  ['a parent that does not exist makes a root (its error is reported elsewhere)', { 901: 999 }, [901], [0], []],
];

for (const [name, edges, order, depths, cycles] of CASES) {
  test(`clone graph: ${name}`, () => {
    const parents = new Map(Object.entries(edges).map(([k, v]) => [Number(k), v ?? undefined]));
    const graph = analyseCloneGraph(parents);
    assert.equal(graph.order, order);
    assert.equal(graph.order.map((c) => graph.depth.get(c)), depths);
    assert.equal(graph.cycles, cycles);
  });
}

test('a long chain is ordered parent first without recursion limits', () => {
  const parents = new Map<number, number | undefined>([[100, undefined]]);
  for (let c = 101; c < 5100; c++) parents.set(c, c - 1);
  const graph = analyseCloneGraph(parents);
  assert.is(graph.order.length, 5000);
  assert.is(graph.depth.get(5099), 4999);
});

test.run();
