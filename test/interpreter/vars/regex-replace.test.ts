import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderString } from '../../../interpreter/vars/template.js';

// The regex_replace helper, as site.yml uses it: the node's CUDA repository from the containers' by the node's Debian.
const UBUNTU = 'https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/';
const NODE_REPO = "{{regex_replace url '/repos/[^/]+/' '/repos/debian' major '/'}}";

test('the replacement is the remaining arguments joined: a variable can be part of it', () => {
  assert.is(renderString(NODE_REPO, { url: UBUNTU, major: '13' }), 'https://developer.download.nvidia.com/compute/cuda/repos/debian13/x86_64/');
  assert.is(renderString(NODE_REPO, { url: UBUNTU, major: 12 }), 'https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/');
});

test("Python's group references, every match replaced, text around kept", () => {
  assert.is(renderString("a={{regex_replace v '(\\w+)@(\\w+)' '\\2 at \\1'}}.", { v: 'x@y, p@q' }), 'a=y at x, q at p.');
  assert.is(renderString("{{regex_replace v 'nomatch' 'z'}}", { v: 'same' }), 'same');
});

test('an undefined argument is an error, never the text "undefined"', () => {
  assert.throws(() => renderString(NODE_REPO, { url: UBUNTU }), /regex_replace: argument 4 is undefined/);
  assert.throws(() => renderString("{{regex_replace v}}", { v: 'x' }), /needs a value, a pattern and a replacement/);
});

test.run();
