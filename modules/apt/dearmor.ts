/**
 * OpenPGP keys for apt keyrings. `gpg --dearmor` only strips the ASCII armor (it does not re-encode packets), so
 * decoding the base64 body here gives the same bytes, on a controller or target without gpg.
 */

const BEGIN = /^-----BEGIN PGP PUBLIC KEY BLOCK-----[ \t\r]*$/m;
const END = /^-----END PGP PUBLIC KEY BLOCK-----[ \t\r]*$/m;

/** Whether the bytes are an ASCII-armored public key block. */
export function isArmored(data: Buffer): boolean {
  return BEGIN.test(data.subarray(0, 4096).toString('latin1'));
}

/** CRC-24 of RFC 4880 section 6.1, used by the armor checksum line. */
function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

/**
 * The binary packets of an armored public key: the base64 body between the armor lines, header lines and the
 * `=XXXX` CRC line dropped (the CRC is checked when present, as gpg does). Throws on a malformed block.
 */
export function dearmor(text: string): Buffer {
  const begin = BEGIN.exec(text);
  const end = END.exec(text);
  if (!begin || !end || end.index < begin.index) throw new Error('not an ASCII-armored OpenPGP public key block');
  const lines = text.slice(begin.index + begin[0].length, end.index).split(/\r?\n/).map((l) => l.trim());
  const blank = lines.indexOf('', 1);
  // Armor headers (Version:, Comment:) end at the first blank line; without headers the body starts at once.
  const hasHeaders = lines.slice(1, blank).every((l) => /^[A-Za-z-]+: /.test(l)) && blank > 1;
  const body = (hasHeaders ? lines.slice(blank + 1) : lines).filter((l) => l !== '');
  const crcLine = body.length && body[body.length - 1].startsWith('=') ? body.pop() : undefined;
  const data = Buffer.from(body.join(''), 'base64');
  if (crcLine) {
    const want = Buffer.from(crcLine.slice(1), 'base64');
    if (want.length === 3 && want.readUIntBE(0, 3) !== crc24(data)) throw new Error('armor checksum (CRC-24) mismatch');
  }
  return data;
}

/** Whether binary data starts with an OpenPGP public-key packet (tag 6, old or new packet format). */
export function isPublicKeyPacket(data: Buffer): boolean {
  if (data.length < 2) return false;
  const first = data[0];
  if ((first & 0x80) === 0) return false;
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  return tag === 6;
}

/** ASCII armor of binary key packets, as `gpg --armor --export` writes it (64-column base64, CRC-24 line). */
export function armor(binary: Buffer): string {
  const body = binary.toString('base64').match(/.{1,64}/g) ?? [];
  const crc = Buffer.alloc(3);
  crc.writeUIntBE(crc24(binary), 0, 3);
  return ['-----BEGIN PGP PUBLIC KEY BLOCK-----', '', ...body, `=${crc.toString('base64')}`, '-----END PGP PUBLIC KEY BLOCK-----', ''].join('\n');
}

/**
 * Keyring bytes from a key in either form; throws when it is not an OpenPGP public key. apt reads a `.asc` keyring
 * as armored text and any other as binary, so the form follows the keyring's file name.
 */
export function keyringBytes(data: Buffer, keyringPath = ''): Buffer {
  const armored = isArmored(data);
  const binary = armored ? dearmor(data.toString('latin1')) : data;
  if (!isPublicKeyPacket(binary)) throw new Error('not an OpenPGP public key (armored or binary)');
  if (!keyringPath.endsWith('.asc')) return binary;
  return armored ? data : Buffer.from(armor(binary), 'latin1');
}
