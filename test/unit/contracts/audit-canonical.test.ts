import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalJson } from '../../../contracts/audit/canonical-json.ts';
import { checkAuditEvent, UnauditableEventError } from '../../../contracts/audit/events.ts';

describe('RFC 8785 canonical JSON', () => {
  it('sorts object members by their names and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [true, null], c: 'x' } })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
  });

  it('sorts names by UTF-16 code units, as the RFC specifies (not by code points)', () => {
    // "\r" is 0x000D, "1" 0x0031, "€" 0x20AC, and "😀" starts with the surrogate 0xD83D.
    expect(canonicalJson({ '😀': 1, '€': 2, '\r': 3, '1': 4 })).toBe('{"\\r":3,"1":4,"€":2,"😀":1}');
  });

  it('writes numbers as ECMAScript does (the RFC 8785 number serialisation)', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 100])).toBe('[1e+21,1e-7,0,0.30000000000000004,100]');
  });

  it('escapes strings as JSON.stringify does and leaves other characters as they are', () => {
    expect(canonicalJson('a"\\\n\u0001é')).toBe('"a\\"\\\\\\n\\u0001é"');
  });

  it('leaves out members whose value is undefined', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });

  it('refuses what JSON cannot carry: non-finite numbers, lone surrogates, dates, bigints', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ x: Number.POSITIVE_INFINITY })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson('\uD800')).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(/Date/);
    expect(() => canonicalJson(1n)).toThrow(CanonicalJsonError);
  });
});

describe('audit events keep metadata only', () => {
  const event = { type: 'credential.revoked', actor: 'operator', subjects: { credentialId: 'urn:uuid:1', memberDid: 'did:web:h' }, details: { reason: 'left' } };

  it('accepts a known event type with ids and a reason', () => {
    expect(() => checkAuditEvent(event)).not.toThrow();
  });

  it('refuses an unknown type or actor', () => {
    expect(() => checkAuditEvent({ ...event, type: 'credential.copied' })).toThrow(UnauditableEventError);
    expect(() => checkAuditEvent({ ...event, actor: 'someone' })).toThrow(/not an audit actor/);
  });

  it('refuses secret-named members, whole credentials, long texts and deep nesting', () => {
    expect(() => checkAuditEvent({ ...event, details: { accessToken: 'abc' } })).toThrow(/secret/);
    expect(() => checkAuditEvent({ ...event, details: { nested: { proof: {} } } })).toThrow(/details\.nested\.proof/);
    expect(() => checkAuditEvent({ ...event, details: { reason: 'x'.repeat(2001) } })).toThrow(/longer than/);
    expect(() => checkAuditEvent({ ...event, details: { a: { b: { c: { d: { e: 1 } } } } } })).toThrow(/nests deeper/);
  });

  it('refuses empty subject ids', () => {
    expect(() => checkAuditEvent({ ...event, subjects: { credentialId: '' } })).toThrow(/non-empty id/);
  });
});
