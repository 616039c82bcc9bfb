/**
 * Multibase (base58btc, prefix "z") and multicodec headers for Ed25519 Multikey values, as used in DID
 * documents (`publicKeyMultibase`) and by the Data Integrity libraries (`secretKeyMultibase`).
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const ALPHABET_INDEX = new Map([...ALPHABET].map((char, index) => [char, index]));

export const ED25519_PUBLIC_HEADER = Uint8Array.of(0xed, 0x01);
export const ED25519_SECRET_HEADER = Uint8Array.of(0x80, 0x26);

export function base58btcEncode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const digits: number[] = [];
  for (const byte of bytes.subarray(zeros)) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i]! << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  return (
    '1'.repeat(zeros) +
    digits
      .reverse()
      .map((d) => ALPHABET[d])
      .join('')
  );
}

export function base58btcDecode(text: string): Uint8Array {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  const bytes: number[] = [];
  for (const char of text.slice(zeros)) {
    const value = ALPHABET_INDEX.get(char);
    if (value === undefined) throw new Error(`Invalid base58btc character "${char}"`);
    let carry = value;
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i]! * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...bytes.reverse()]);
}

/** Encodes raw key bytes with their multicodec header as a base58btc multibase string ("z…"). */
export function encodeMultikey(header: Uint8Array, key: Uint8Array): string {
  const bytes = new Uint8Array(header.length + key.length);
  bytes.set(header);
  bytes.set(key, header.length);
  return `z${base58btcEncode(bytes)}`;
}

/** Decodes a "z…" multibase value, checks its multicodec header and the key length, and returns the raw key. */
export function decodeMultikey(multibase: string, header: Uint8Array, keyLength = 32): Uint8Array {
  if (!multibase.startsWith('z')) throw new Error('Multikey value must be base58btc multibase (start with "z")');
  const bytes = base58btcDecode(multibase.slice(1));
  if (bytes.length !== header.length + keyLength || header.some((b, i) => bytes[i] !== b)) {
    throw new Error('Multikey value has the wrong multicodec header or length for an Ed25519 key');
  }
  return bytes.subarray(header.length);
}
