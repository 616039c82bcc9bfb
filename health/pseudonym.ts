import { createHmac, hash } from 'node:crypto';
import { keyedHmacSha256 } from './hmac-sha256.ts';

/**
 * Keyed pseudonyms and date shifts, per agreement. The provider keeps one master key; each agreement gets its own
 * secret derived from it, so pseudonyms are stable within an agreement and unlinkable across agreements, and the
 * key to re-identify never leaves the provider (EHDS Art. 66). Everything here is a pure function of the secret.
 */

/** A secret of at least 32 bytes, one per agreement. */
export type AgreementSecret = Uint8Array;

export class PseudonymKeyError extends Error {
  override name = 'PseudonymKeyError';
}

const MIN_SECRET_BYTES = 32;

/** The agreement's secret: HMAC-SHA-256(master key, "hdc-release-secret:" + agreement id). */
export function agreementSecret(masterKey: Uint8Array, agreementId: string): AgreementSecret {
  if (masterKey.length < MIN_SECRET_BYTES) throw new PseudonymKeyError(`the master key must have at least ${MIN_SECRET_BYTES} bytes`);
  if (!agreementId) throw new PseudonymKeyError('an agreement id is needed to derive its secret');
  return createHmac('sha256', masterKey).update(`hdc-release-secret:${agreementId}`).digest();
}

export function checkSecret(secret: AgreementSecret): void {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_SECRET_BYTES) throw new PseudonymKeyError(`the agreement secret must have at least ${MIN_SECRET_BYTES} bytes`);
}

/**
 * Hex characters of a pseudonym: 128 bits of HMAC-SHA-256 (RFC 2104 allows truncation to half the output).
 * Hex, not base64url, because a FHIR id allows only [A-Za-z0-9-.]: `_` would make it invalid.
 */
const PSEUDONYM_HEX = 32;

/**
 * The pseudonym of a resource id: hex of HMAC-SHA-256(secret, "<ResourceType>/<id>"), truncated to 128 bits.
 * The type is part of the message, so a Patient and an Encounter with the same hospital id do not collide.
 * For a patient this is the patient pseudonym: HMAC-SHA-256(secret, "Patient/<id>").
 */
export function pseudonymOf(secret: AgreementSecret, resourceType: string, id: string): string {
  return createHmac('sha256', secret).update(`${resourceType}/${id}`).digest('hex').slice(0, PSEUDONYM_HEX);
}

/**
 * A patient's date shift in whole days, uniform in [-maxDays, maxDays]: from HMAC-SHA-256(secret,
 * "date-shift:Patient/<id>"), so it is fixed per patient and agreement and never stored.
 */
export function dateShiftDays(secret: AgreementSecret, patientId: string, maxDays: number): number {
  if (!Number.isInteger(maxDays) || maxDays < 0) throw new RangeError('maxDays must be a non-negative integer');
  if (maxDays === 0) return 0;
  const digest = createHmac('sha256', secret).update(`date-shift:Patient/${patientId}`).digest();
  // 48 bits of the digest: the modulo bias over 2 * maxDays + 1 values is below 2^-30 for any sensible maxDays.
  const draw = digest.readUIntBE(0, 6);
  return (draw % (2 * maxDays + 1)) - maxDays;
}

/** Pseudonyms of one agreement, computed fast: one key object for all HMACs, and a memo for repeated references. */
export interface Pseudonymiser {
  /** The same as pseudonymOf(secret, resourceType, id). Remembers recent answers: for references, which repeat. */
  pseudonym(resourceType: string, id: string): string;
  /** The same for the message "<ResourceType>/<id>" itself (a relative reference is one), remembered too. */
  pseudonymOfMessage(message: string): string;
  /** The same, without the memo: for a resource's own id, seen once. */
  pseudonymOnce(resourceType: string, id: string): string;
  /**
   * A reference made unlinkable (see rewriteReference in deidentify.ts), remembered: a patient's or an
   * encounter's reference recurs in every resource that points at it.
   */
  reference(reference: string): string | undefined;
  /** The same as dateShiftDays(secret, patientId, maxDays). */
  shiftDays(patientId: string, maxDays: number): number;
}

const MEMO_ENTRIES = 2048;
const BLOCK = 64;

/** HMAC-SHA-256 of the secret from a precomputed keyed state (hmac-sha256.ts): hex of its first bytes, or its bytes. */
function keyedHmac(secret: AgreementSecret): { hex: (message: string, bytes: number) => string; bytes: (message: string) => Uint8Array } {
  const mac = keyedHmacSha256(secret.length > BLOCK ? (hash('sha256', secret, 'buffer') as Buffer) : secret);
  const out = Buffer.alloc(32);
  return {
    // One native call gives a flat string; sixteen concatenations of two hex digits gave a chain of sixteen.
    hex(message, bytes) {
      mac(message, out);
      return out.toString('hex', 0, bytes);
    },
    bytes: (message) => mac(message, new Uint8Array(32)),
  };
}

/** The keyed UUID of a `urn:uuid:` reference's UUID: version 4 and variant bits set, the rest of its pseudonym. */
function keyedUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const RELATIVE_REFERENCE = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

export function createPseudonymiser(secret: AgreementSecret): Pseudonymiser {
  checkSecret(secret);
  const hmac = keyedHmac(secret);
  // References repeat (a patient's, an encounter's): bounded memos spare most of their HMACs and rewrites.
  const memo = new Map<string, string>();
  const references = new Map<string, string | undefined>();
  const pseudonymOfMessage = (message: string) => {
    let value = memo.get(message);
    if (value === undefined) {
      value = hmac.hex(message, PSEUDONYM_HEX / 2);
      if (memo.size >= MEMO_ENTRIES) memo.clear();
      memo.set(message, value);
    }
    return value;
  };
  const rewrite = (reference: string): string | undefined => {
    if (reference.startsWith('#')) return reference;
    if (reference.startsWith('urn:uuid:')) return `urn:uuid:${keyedUuid(pseudonymOfMessage(`urn:uuid/${reference.slice(9)}`))}`;
    // Nearly every reference is relative, `Type/id`: its pseudonym's message is the reference itself.
    if (RELATIVE_REFERENCE.test(reference)) return `${reference.slice(0, reference.indexOf('/'))}/${pseudonymOfMessage(reference)}`;
    const parts = reference.split('/');
    const history = parts.lastIndexOf('_history');
    const path = history > 0 ? parts.slice(0, history) : parts;
    const [type, id] = path.slice(-2);
    if (!type || !id || !RESOURCE_TYPE.test(type) || !FHIR_ID.test(id)) return undefined;
    return `${type}/${pseudonymOfMessage(`${type}/${id}`)}`;
  };
  return {
    pseudonym: (resourceType, id) => pseudonymOfMessage(`${resourceType}/${id}`),
    pseudonymOfMessage,
    pseudonymOnce: (resourceType, id) => hmac.hex(`${resourceType}/${id}`, PSEUDONYM_HEX / 2),
    reference(reference) {
      let rewritten = references.get(reference);
      if (rewritten === undefined && !references.has(reference)) {
        rewritten = rewrite(reference);
        if (references.size >= MEMO_ENTRIES) references.clear();
        references.set(reference, rewritten);
      }
      return rewritten;
    },
    shiftDays(patientId, maxDays) {
      if (!Number.isInteger(maxDays) || maxDays < 0) throw new RangeError('maxDays must be a non-negative integer');
      return maxDays === 0 ? 0 : (Buffer.from(hmac.bytes(`date-shift:Patient/${patientId}`).buffer).readUIntBE(0, 6) % (2 * maxDays + 1)) - maxDays;
    },
  };
}
