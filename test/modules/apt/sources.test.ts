import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizeUri, parseDeb822, parseList, removeUri } from '../../../modules/apt/sources.js';

test('one-line entries: options in brackets, inline comments, a # inside the options, disabled lines', () => {
  const entries = parseList(
    'deb [ arch=amd64,arm64 Signed-By=/k#1.gpg ] http://a/x/ noble main contrib # note\n# deb http://b/ /\ndeb-src http://c/ /\nnot an entry\n',
  );
  assert.equal(entries.map((e) => [e.types, e.uris, e.suites, e.components, e.options, e.first]), [
    [['deb'], ['http://a/x/'], ['noble'], ['main', 'contrib'], { arch: 'amd64,arm64', 'signed-by': '/k#1.gpg' }, 0],
    [['deb-src'], ['http://c/'], ['/'], [], {}, 2],
  ]);
});

test('deb822: field names in any case, continuation lines, comments inside a stanza, Enabled: no', () => {
  const text = '# head\n\nTYPES: deb\n# inside\nuris: http://a/\n  http://b/\nSuites: /\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\nEnabled: no\n';
  const [e] = parseDeb822(text);
  assert.equal(e.uris, ['http://a/', 'http://b/']);
  assert.is(e.enabled, false);
  assert.equal([e.first, e.last, e.urisField], [2, 11, { first: 4, last: 5, name: 'uris' }]);
  assert.match(e.options['signed-by'], /^\n?-----BEGIN PGP PUBLIC KEY BLOCK-----\n\.\nabc$/);
});

test('URIs compare without trailing slashes and with case-insensitive scheme and host, never across http/https', () => {
  assert.is(normalizeUri('HTTPS://Example.COM/Repo//'), 'https://example.com/Repo');
  assert.is.not(normalizeUri('http://example.com/r'), normalizeUri('https://example.com/r'));
});

test('removing keeps CRLF line ends and every other byte; unknown URIs leave the file alone', () => {
  const text = 'deb http://keep/ /\r\ndeb http://drop/ /\r\n# tail\r\n';
  assert.is(removeUri({ path: '/etc/apt/sources.list.d/x.list', text }, 'http://drop')!.after, 'deb http://keep/ /\r\n# tail\r\n');
  assert.is(removeUri({ path: '/etc/apt/sources.list.d/x.list', text }, 'http://other/'), null);
});

test.run();
