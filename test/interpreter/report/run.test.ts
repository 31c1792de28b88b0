import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHumanReporter } from '../../../interpreter/report/human.js';
import { shapesRun } from './runs.js';
import { capture, colourTags, recorded, replay } from './support.js';

test('a whole run prints what ansible-playbook printed for the same playbook', () => {
  const out = capture();
  replay(createHumanReporter(out, { verbosity: 0, diff: false }), shapesRun);
  assert.fixture(out.text, recorded('run.txt'));
});

test('a whole run in colour uses the colours ansible-playbook used, line by line', () => {
  const out = capture();
  replay(createHumanReporter(out, { verbosity: 0, diff: false, color: true }), shapesRun);
  assert.fixture(colourTags(out.text), colourTags(recorded('run.color.txt')));
});

test('the warning for an unmatched pattern is Ansible\'s, wrapped like Ansible wraps it', () => {
  const out = capture();
  const sink = createHumanReporter(out, { verbosity: 0, diff: false });
  sink({ type: 'warning', message: 'Could not match supplied host pattern, ignoring: nomatch' });
  sink({ type: 'warning', message: 'Could not match supplied host pattern, ignoring: nomatch' });
  sink({
    type: 'warning',
    message: 'Could not match supplied host pattern, ignoring: nomatch_at_all_because_this_host_pattern_is_long_enough_to_wrap_the_warning_line',
  });
  assert.fixture(out.text, recorded('run.stderr.txt') + recorded('warning.stderr.txt'));
});

test.run();
