import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PlannedState, outcomeKey } from '../../../interpreter/executor/planned-state.js';

const at = (line: number) => outcomeKey({ file: 'site.yml', line, column: 7 }, { name: 'curl' });

test('a snapshot taken in this run holds the tasks done so far, changed or not; later ones are not in it', () => {
  const planned = new PlannedState();
  planned.recordOutcome('ct901', at(1), 'ok');
  planned.recordOutcome('ct901', at(2), 'changed');
  planned.recordOutcome('ct901', at(3), 'skipped');
  planned.recordOutcome('ct901', at(4), 'failed');
  planned.recordSnapshot('ct901', 'pre-configured', true);
  planned.recordOutcome('ct901', at(5), 'changed');
  const snapshot = planned.snapshot('ct901', 'pre-configured')!;
  assert.equal([...snapshot.keys()], [at(1), at(2)]);
  assert.is(planned.snapshot('ct901', 'other'), undefined, 'a snapshot this run did not see is unknown');
  assert.is(planned.snapshot('ct902', 'pre-configured'), undefined);
});

test('a snapshot that exists already holds only what was in place before this run', () => {
  const planned = new PlannedState();
  planned.recordOutcome('ct901', at(1), 'ok');
  planned.recordOutcome('ct901', at(2), 'changed');
  planned.recordSnapshot('ct901', 'pre-configured', false);
  assert.equal([...planned.snapshot('ct901', 'pre-configured')!.keys()], [at(1)]);
});

test('the same task with other arguments is another outcome; changes are counted per host', () => {
  const planned = new PlannedState();
  const pos = { file: 'site.yml', line: 9, column: 7 };
  planned.recordOutcome('ct901', outcomeKey(pos, { name: 'curl' }), 'changed');
  planned.recordOutcome('ct901', outcomeKey(pos, { name: 'wget' }), 'ok');
  assert.is(planned.changesOn('ct901'), 1);
  assert.is(planned.changesOn('ct902'), 0);
  assert.is.not(outcomeKey(pos, { name: 'curl' }), outcomeKey(pos, { name: 'wget' }));
});

test('module values are kept per kind and key', () => {
  const planned = new PlannedState();
  planned.set('container', 'pve1/901', { exists: true });
  assert.equal(planned.get('container', 'pve1/901'), { exists: true });
  assert.is(planned.get('lxc-conf', 'pve1/901'), undefined);
  assert.is(planned.get('container', 'pve2/901'), undefined);
});

test.run();
