import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorList, ErrorListError, PhoenixError } from '../../../interpreter/errors.js';
import { formatError } from '../../../interpreter/report/errors.js';
import { colourTags } from './support.js';

const site = [
  '- name: GPU hosts',
  '  hosts: proxmox',
  '  tasks:',
  '    - name: install driver',
  '      whn: nvidia.install',
  '\t\tbad: tab',
].join('\n');
const sources: Record<string, string> = { 'playbooks/site.yml': site };
const readSource = (file: string) => sources[file];

const unknownKeyword = () => new PhoenixError('E_TASK_KEYWORD', "unknown task keyword 'whn'", {
  pos: { file: 'playbooks/site.yml', line: 5, column: 7 }, hint: "did you mean 'when'?", task: 'install driver',
});

test('code, position, the offending line with a caret under the column, task and hint', () => {
  assert.is(formatError(unknownKeyword(), { color: false, readSource }), [
    "ERROR! [E_TASK_KEYWORD] unknown task keyword 'whn'",
    '  --> playbooks/site.yml:5:7',
    '   |',
    ' 5 |       whn: nvidia.install',
    '   |       ^',
    '   = task: install driver',
    "   = hint: did you mean 'when'?",
  ].join('\n'));
});

test('the caret follows tabs in the source line', () => {
  const error = new PhoenixError('E_YAML', 'tabs are not allowed', { pos: { file: 'playbooks/site.yml', line: 6, column: 3 } });
  const text = formatError(error, { color: false, readSource });
  assert.ok(text.includes(' 6 | \t\tbad: tab\n   | \t\t^'), text);
});

test('without the source, the position alone; a column past the end puts the caret at the end', () => {
  assert.is(formatError(unknownKeyword(), { color: false }).split('\n')[1], '  --> playbooks/site.yml:5:7');
  const error = new PhoenixError('E_X', 'x', { pos: { file: 'playbooks/site.yml', line: 2, column: 99 } });
  assert.ok(formatError(error, { color: false, readSource }).includes(' 2 |   hosts: proxmox\n   |                 ^'));
});

test('a JSON path stands in for the position, or comes as a note beside it', () => {
  const byPath = new PhoenixError('E_CONFIG', 'gpu_assignment must be a string', {
    jsonPath: '$.lxc_configs["901"].gpu_assignment', host: 'ct901', hint: 'write "0" or "0,1"',
  });
  assert.is(formatError(byPath, { color: false }), [
    'ERROR! [E_CONFIG] gpu_assignment must be a string',
    '  --> $.lxc_configs["901"].gpu_assignment',
    '   = host: ct901',
    '   = hint: write "0" or "0,1"',
  ].join('\n'));
  const both = new PhoenixError('E_CONFIG', 'bad', {
    jsonPath: '$.nvidia', pos: { file: 'inventory/phoenix_hypervisor_config.json', line: 120, column: 5 },
  });
  const lines = formatError(both, { color: false, readSource: () => `${'\n'.repeat(119)}    "nvidia": 1` }).split('\n');
  assert.equal(lines.slice(1), [
    '   --> inventory/phoenix_hypervisor_config.json:120:5',
    '    |',
    '120 |     "nvidia": 1',
    '    |     ^',
    '    = path: $.nvidia',
  ]);
});

test('an error list prints every error, then how many', () => {
  const list = new ErrorList();
  list.add(unknownKeyword());
  list.add(new PhoenixError('E_NOTIFY', "notify names no handler 'restart'", { pos: { file: 'playbooks/site.yml', line: 4, column: 7 } }));
  let thrown: unknown;
  try {
    list.throwIfAny();
  } catch (error) {
    thrown = error;
  }
  assert.instance(thrown, ErrorListError);
  const text = formatError(thrown as ErrorListError, { color: false, readSource });
  assert.is((text.match(/^ERROR! \[/gm) ?? []).length, 2);
  assert.ok(text.includes("ERROR! [E_NOTIFY] notify names no handler 'restart'\n  --> playbooks/site.yml:4:7\n   |\n 4 |     - name: install driver\n   |       ^"));
  assert.ok(text.endsWith('\n\n2 errors'), text);
  assert.ok(formatError(new ErrorListError([unknownKeyword()]), { color: false }).endsWith('\n\n1 error'));
});

test('plain errors print without a stack unless debugging', () => {
  const error = new Error('socket hang up');
  assert.is(formatError(error, { color: false, debug: false }), 'ERROR! socket hang up');
  assert.ok(formatError(error, { color: false, debug: true }).includes('    at '));
  const saved = process.env.PHOENIX_DEBUG;
  process.env.PHOENIX_DEBUG = '1';
  try {
    assert.ok(formatError(error, { color: false }).includes('    at '));
  } finally {
    if (saved === undefined) delete process.env.PHOENIX_DEBUG;
    else process.env.PHOENIX_DEBUG = saved;
  }
});

test('colour: the error line red, the caret red, the frame blue; none when off', () => {
  const text = colourTags(formatError(unknownKeyword(), { color: true, readSource }));
  assert.ok(text.startsWith("<red><bold>ERROR!<bold-end> [E_TASK_KEYWORD] unknown task keyword 'whn'</>"), text);
  assert.ok(text.includes('   <blue>|</>       <red>^</>'), text);
  assert.not.match(formatError(unknownKeyword(), { color: false, readSource }), '\x1b[');
});

test.run();
