/**
 * HMAC-SHA-256 (RFC 2104 over FIPS 180-4 SHA-256) of many short messages under one key, in plain JavaScript from a
 * precomputed keyed state: the key's inner and outer pad blocks are compressed once, so a message of up to 55
 * bytes costs two compressions and no call into native code. node:crypto needs two one-shot hashes (a native
 * call and a fresh digest context each) for the same work, which made pseudonyms a third of a release's time.
 * Checked against createHmac in test/unit/health/deidentify.test.ts.
 */

// biome-ignore format: the FIPS 180-4 round constants, eight a line
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const INITIAL = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

/** Compresses the 64-byte block of `bytes` at `offset` into `state`, using `w` (64 words) as scratch. */
function compress(state: Int32Array, bytes: Uint8Array, offset: number, w: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!;
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
    const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/**
 * A keyed HMAC-SHA-256 function: `digestInto(message, out)` writes the 32-byte MAC of the message's UTF-8 bytes into
 * `out` (which it returns). The key must already be at most 64 bytes (a longer one is hashed first, RFC 2104).
 */
export function keyedHmacSha256(key: Uint8Array): (message: string, out: Uint8Array) => Uint8Array {
  if (key.length > BLOCK) throw new RangeError('hash a key longer than 64 bytes first');
  const w = new Int32Array(64);
  const pad = new Uint8Array(BLOCK);
  const innerStart = INITIAL.slice();
  const outerStart = INITIAL.slice();
  pad.fill(0x36);
  for (let i = 0; i < key.length; i++) pad[i] = key[i]! ^ 0x36;
  compress(innerStart, pad, 0, w);
  pad.fill(0x5c);
  for (let i = 0; i < key.length; i++) pad[i] = key[i]! ^ 0x5c;
  compress(outerStart, pad, 0, w);
  const encoder = new TextEncoder();
  let buffer = new Uint8Array(4 * BLOCK);
  const state = new Int32Array(8);
  const outerBlock = new Uint8Array(BLOCK);
  // The outer message is always 32 bytes: its padding and length (64 + 32 bytes = 768 bits) never change.
  outerBlock[32] = 0x80;
  outerBlock[62] = 0x03;

  return (message, out) => {
    // Message bytes, then 0x80, zeros, and the bit length of pad block + message as a 64-bit big-endian number.
    if (message.length * 3 + 9 > buffer.length) buffer = new Uint8Array(message.length * 3 + 9 + BLOCK);
    const length = encoder.encodeInto(message, buffer).written;
    const blocks = Math.ceil((length + 9) / BLOCK);
    buffer.fill(0, length, blocks * BLOCK);
    buffer[length] = 0x80;
    const bits = (BLOCK + length) * 8;
    const end = blocks * BLOCK;
    buffer[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
    buffer[end - 4] = bits >>> 24;
    buffer[end - 3] = (bits >>> 16) & 0xff;
    buffer[end - 2] = (bits >>> 8) & 0xff;
    buffer[end - 1] = bits & 0xff;
    state.set(innerStart);
    for (let i = 0; i < blocks; i++) compress(state, buffer, i * BLOCK, w);
    for (let i = 0; i < 8; i++) {
      const v = state[i]!;
      outerBlock[i * 4] = v >>> 24;
      outerBlock[i * 4 + 1] = (v >>> 16) & 0xff;
      outerBlock[i * 4 + 2] = (v >>> 8) & 0xff;
      outerBlock[i * 4 + 3] = v & 0xff;
    }
    state.set(outerStart);
    compress(state, outerBlock, 0, w);
    for (let i = 0; i < 8; i++) {
      const v = state[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = (v >>> 16) & 0xff;
      out[i * 4 + 2] = (v >>> 8) & 0xff;
      out[i * 4 + 3] = v & 0xff;
    }
    return out;
  };
}
