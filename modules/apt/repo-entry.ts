/** The text apt_repo writes: its one source entry and its pin file. */

export interface EntrySpec {
  name: string;
  uri: string;
  suite: string;
  components: string[];
  keyring: string;
  architectures: string[];
}

export interface PinSpec {
  label?: string;
  origin?: string;
  priority: number;
  /** Package names or patterns the pin applies to (apt's `Package:` line), default `*`. */
  packages?: string;
}

const header = (name: string) => `# Managed by phoenix (apt_repo ${name}): the only definition of this URI.\n`;

/** A deb822 `.sources` stanza. A flat repository (`suite` ending in `/`) has no Components line, as apt requires. */
export function renderDeb822(spec: EntrySpec): string {
  const lines = [`Types: deb`, `URIs: ${spec.uri}`, `Suites: ${spec.suite}`];
  if (spec.components.length) lines.push(`Components: ${spec.components.join(' ')}`);
  if (spec.architectures.length) lines.push(`Architectures: ${spec.architectures.join(' ')}`);
  lines.push(`Signed-By: ${spec.keyring}`);
  return header(spec.name) + lines.join('\n') + '\n';
}

/** A one-line `.list` entry with its options in brackets. */
export function renderList(spec: EntrySpec): string {
  const options = [...(spec.architectures.length ? [`arch=${spec.architectures.join(',')}`] : []), `signed-by=${spec.keyring}`];
  const words = ['deb', `[${options.join(' ')}]`, spec.uri, spec.suite, ...spec.components];
  return header(spec.name) + words.join(' ') + '\n';
}

/** A preferences.d file: `label` pins by the Release file's Label (`release l=`), `origin` by its Origin (`release o=`). */
export function renderPin(name: string, pin: PinSpec): string {
  const release = pin.label !== undefined ? `l=${pin.label}` : `o=${pin.origin}`;
  return `# Managed by phoenix (apt_repo ${name})\nPackage: ${pin.packages ?? '*'}\nPin: release ${release}\nPin-Priority: ${pin.priority}\n`;
}
