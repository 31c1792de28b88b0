/**
 * Ansible's tag selection. `only` is --tags (default ['all']), `skip` is --skip-tags.
 * `always` runs unless skipped by name; `never` runs only when one of its tags is asked for by name.
 */
export function tagsSelected(taskTags: readonly string[], only: readonly string[], skip: readonly string[]): boolean {
  const tags = new Set(taskTags);
  if (skip.length > 0) {
    if (skip.includes('all') && !(tags.has('always') && !skip.includes('always'))) return false;
    if (skip.includes('tagged') && tags.size > 0 && !(tags.has('always') && !skip.includes('always'))) return false;
    if (skip.includes('untagged') && tags.size === 0) return false;
    if ([...tags].some((t) => skip.includes(t))) return false;
  }
  const selection = only.length === 0 ? ['all'] : only;
  if (tags.has('always')) return true;
  const named = [...tags].filter((t) => t !== 'never');
  if (tags.has('never')) return named.some((t) => selection.includes(t)) || selection.includes('never');
  if (selection.includes('all')) return true;
  if (selection.includes('tagged') && tags.size > 0) return true;
  if (selection.includes('untagged') && tags.size === 0) return true;
  return [...tags].some((t) => selection.includes(t));
}
