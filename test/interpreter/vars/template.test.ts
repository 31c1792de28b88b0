import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Handlebars from 'handlebars';
import { renderString } from '../../../interpreter/vars/template.js';
import { PhoenixError } from '../../../interpreter/errors.js';

// Plain `{{ path }}` templates are joined as strings instead of compiled by Handlebars: the output must be the one
// Handlebars gives (noEscape), and everything else must still reach Handlebars.
const test = suite('templates: plain mustaches without Handlebars');

const vars: Record<string, unknown> = {
  host: 'h001', port: 8080, ratio: 1.5, on: true, off: false, nothing: null, empty: '',
  list: ['a', 'b'], nested: { name: 'x', deep: { level: 3 } }, markup: `<a href="x">&'</a>`, unicode: 'grüße ✓',
  'dash-key': 'no', items: [{ id: 7 }],
};

test('the same text as Handlebars with noEscape, for every kind of value', () => {
  const templates = [
    '/srv/{{ host }}/etc', '{{host}}:{{port}}', 'r={{ ratio }} on={{ on }} off={{ off }}', '[{{ nothing }}]',
    '[{{ empty }}]', 'list={{ list }}', 'obj={{ nested }}', '{{ nested.name }}-{{ nested.deep.level }}',
    'm={{ markup }}', '{{ unicode }}!', 'a {{ host }} b {{ host }} c', '{{ host }}\n{{ port }}\n',
  ];
  for (const text of templates) {
    const expected = Handlebars.compile(text, { noEscape: true })(vars);
    assert.is(renderString(text, vars), expected, text);
  }
});

test('Ansible index forms and quoted keys', () => {
  assert.is(renderString('first={{ list.0 }} second={{ list[1] }}', vars), 'first=a second=b');
  assert.is(renderString("id={{ items[0]['id'] }} n={{ nested[\"name\"] }}", vars), 'id=7 n=x');
});

test('an undefined variable is still an error naming it', () => {
  for (const text of ['x/{{ missing }}/y', 'x/{{ nested.nope }}']) {
    try {
      renderString(text, vars);
      assert.unreachable(text);
    } catch (error) {
      assert.instance(error, PhoenixError);
      assert.match((error as Error).message, /is undefined/);
    }
  }
});

test('helpers, blocks, whitespace control, raw and escaped mustaches still go through Handlebars', () => {
  assert.is(renderString('{{upper host}}-x', vars), 'H001-x');
  assert.is(renderString('{{#each list}}[{{this}}]{{/each}}', vars), '[a][b]');
  assert.is(renderString('a {{~ host ~}} b', vars), 'ah001b');
  assert.is(renderString('{{{ markup }}}!', vars), `${vars.markup}!`);
  assert.is(renderString('\\{{ host }} {{ host }}', vars), '{{ host }} h001');
  assert.is(renderString('{{default nothing "fallback"}}/x', vars), 'fallback/x');
});

test.run();
