import { valueError } from './values.js';

type Part = number | string;

/** LooseVersion's parse: digit runs become numbers; letter runs and other separators stay text; dots go. */
function looseParts(version: string): Part[] {
  return version
    .split(/(\d+|[a-z]+|\.)/)
    .filter((part) => part !== '' && part !== '.')
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** StrictVersion: `1.2`, `1.2.3`, `1.2.3a1`/`b1`; compared as (major, minor, patch) then the pre-release. */
function strictParts(version: string): Part[] {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?(?:([ab])(\d+))?$/.exec(version);
  if (!match) throw valueError(`Version comparison failed: invalid version number '${version}'`);
  const release = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  // A final release sorts after its pre-releases: 'z' is after 'a' and 'b'.
  return match[4] ? [...release, match[4], Number(match[5])] : [...release, 'z', 0];
}

/**
 * Ansible's `version` test: LooseVersion (or StrictVersion with `strict`). As in Python, ordering a number
 * against text (`1.0.1` vs `1.0rc1`) is an error; equality just says no.
 */
export function compareVersions(a: string, b: string, strict = false, ordering = true): number {
  const [left, right] = strict ? [strictParts(a), strictParts(b)] : [looseParts(a), looseParts(b)];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const [x, y] = [left[i], right[i]];
    if (x === y) continue;
    if (typeof x !== typeof y) {
      if (!ordering) return 1;
      throw valueError(
        `Version comparison failed: '<' not supported between instances of '${typeof x === 'number' ? 'int' : 'str'}' and '${typeof y === 'number' ? 'int' : 'str'}'`,
      );
    }
    return x < y ? -1 : 1;
  }
  return Math.sign(left.length - right.length);
}
