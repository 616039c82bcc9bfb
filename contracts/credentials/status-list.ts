import { gunzipSync, gzipSync } from 'node:zlib';
import type { CredentialStatusEntry, VerifiableCredential } from './model.ts';
import { asArray, CREDENTIAL_CONTEXTS, CREDENTIAL_TYPE } from './model.ts';

/**
 * W3C Bitstring Status List v1.0: a bitstring of at least 131,072 entries (16 KiB, for herd privacy),
 * GZIP-compressed and multibase base64url-encoded ("u" prefix). Bit 0 is the most significant bit of the
 * first byte.
 */
export const MIN_STATUS_LIST_LENGTH = 131_072;

export class StatusListError extends Error {
  override name = 'StatusListError';
}

export function emptyBitstring(length = MIN_STATUS_LIST_LENGTH): Uint8Array {
  return new Uint8Array(Math.ceil(length / 8));
}

export function setBit(bits: Uint8Array, index: number, value: boolean): void {
  if (!Number.isInteger(index) || index < 0 || index >= bits.length * 8) throw new StatusListError(`Status index ${index} is outside the list`);
  const mask = 0x80 >> (index % 8);
  bits[Math.floor(index / 8)] = value ? bits[Math.floor(index / 8)]! | mask : bits[Math.floor(index / 8)]! & ~mask;
}

export function getBit(bits: Uint8Array, index: number): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= bits.length * 8) throw new StatusListError(`Status index ${index} is outside the list of ${bits.length * 8} entries`);
  return (bits[Math.floor(index / 8)]! & (0x80 >> (index % 8))) !== 0;
}

export function encodeBitstring(bits: Uint8Array): string {
  return `u${gzipSync(bits).toString('base64url')}`;
}

/** A Bitstring Status List's `encodedList` (multibase base64url, "u…"); StatusList2021's is plain base64 (`multibase: false`). */
export function decodeBitstring(encodedList: string, options: { multibase?: boolean } = {}): Uint8Array {
  const multibase = options.multibase ?? true;
  if (typeof encodedList !== 'string' || (multibase && !encodedList.startsWith('u'))) throw new StatusListError('encodedList must be multibase base64url (prefix "u")');
  try {
    return new Uint8Array(gunzipSync(Buffer.from(multibase ? encodedList.slice(1) : encodedList, multibase ? 'base64url' : 'base64')));
  } catch {
    throw new StatusListError('encodedList is not a GZIP-compressed bitstring');
  }
}

/** The unsigned status list credential of one list, published at `url`. */
export function statusListCredential(options: { url: string; issuer: string; purpose: 'revocation' | 'suspension'; bits: Uint8Array; validFrom?: string }): VerifiableCredential {
  return {
    '@context': [...CREDENTIAL_CONTEXTS],
    id: options.url,
    type: ['VerifiableCredential', CREDENTIAL_TYPE.statusList],
    issuer: options.issuer,
    validFrom: options.validFrom ?? new Date().toISOString(),
    credentialSubject: { id: `${options.url}#list`, type: 'BitstringStatusList', statusPurpose: options.purpose, encodedList: encodeBitstring(options.bits) },
  };
}

export function statusEntry(listUrl: string, index: number, purpose: 'revocation' | 'suspension' = 'revocation'): CredentialStatusEntry {
  return { id: `${listUrl}#${index}`, type: 'BitstringStatusListEntry', statusPurpose: purpose, statusListIndex: String(index), statusListCredential: listUrl };
}

/**
 * Whether the entry's bit is set in an already verified status list credential. Throws StatusListError when
 * the list does not match the entry (other purpose, other URL, index out of range).
 */
export function isStatusSet(list: VerifiableCredential, entry: CredentialStatusEntry): boolean {
  const subject = list.credentialSubject as Record<string, unknown>;
  if (list.id !== entry.statusListCredential) throw new StatusListError(`Status list ${String(list.id)} is not ${entry.statusListCredential}`);
  if (subject.statusPurpose !== entry.statusPurpose)
    throw new StatusListError(`Status list ${entry.statusListCredential} is for "${String(subject.statusPurpose)}", not "${entry.statusPurpose}"`);
  const index = Number(entry.statusListIndex);
  if (!/^\d+$/.test(entry.statusListIndex)) throw new StatusListError(`statusListIndex "${entry.statusListIndex}" is not a non-negative integer`);
  const multibase = !asArray(list.type).includes(CREDENTIAL_TYPE.statusList2021);
  return getBit(decodeBitstring(subject.encodedList as string, { multibase }), index);
}
