import type { ConnectorContext } from '../context.ts';
import { authorityStore, type AuthorityStore, type IssuedCredentialRecord } from '../storage/authority-store.ts';
import { CredentialDataModelError, issueCredential, type Cryptosuite } from '../../contracts/credentials/proofs.ts';
import { checkDataspaceClaims } from '../../contracts/credentials/dataspace-claims.ts';
import { asArray } from '../../contracts/credentials/model.ts';
import { statusEntry, statusListCredential } from '../../contracts/credentials/status-list.ts';
import type { CredentialStatusEntry, VerifiableCredential } from '../../contracts/credentials/model.ts';
import { connectorAuditTrail } from '../audit/connector-trail.ts';
import type { Member } from '../storage/authority-store.ts';

/** The caller's status entries, if any, followed by the authority's own revocation entry. */
function withStatusEntry(credential: VerifiableCredential, own: CredentialStatusEntry): CredentialStatusEntry | CredentialStatusEntry[] {
  const given = asArray(credential.credentialStatus);
  return given.length === 0 ? own : [...given, own];
}

/** Where the authority publishes one status list. */
export function statusListUrl(publicUrl: string, listId: string): string {
  return `${publicUrl}/status/${listId}`;
}

/**
 * The governance authority's issuing desk, the dataspace's layer above the standard VC-API: its own
 * credential types must make their claims (dataspace-claims.ts), and every credential it signs gets a
 * revocation entry in one of its Bitstring Status Lists (beside any status entries the caller gave) and a
 * record, in the same transaction; revoking flips the bit, and the list is re-signed when next requested.
 */
export function createAuthority(ctx: ConnectorContext) {
  const store: AuthorityStore = authorityStore(ctx.database.db, ctx.database.dialect);
  const audit = connectorAuditTrail(ctx);
  const subjects = (r: IssuedCredentialRecord) => ({ credentialId: r.id, ...(r.subjectDid ? { memberDid: r.subjectDid } : {}) });

  /**
   * Applies the dataspace's claim rules, adds this authority as issuer (when absent), its status entry and a
   * default validity, then signs. Throws CredentialDataModelError (nothing is recorded) when a rule fails.
   */
  async function issue(credential: VerifiableCredential, options: { cryptosuite?: Cryptosuite } = {}): Promise<IssuedCredentialRecord> {
    const problems = checkDataspaceClaims(credential);
    if (problems.length > 0) throw new CredentialDataModelError(problems);
    const now = new Date();
    const recorded = (trx: Parameters<typeof audit.record>[0], r: IssuedCredentialRecord) =>
      audit.record(trx, {
        type: 'credential.issued',
        actor: 'operator',
        subjects: subjects(r),
        details: { types: r.types, validUntil: r.validUntil, statusList: r.statusListId, statusIndex: r.statusIndex },
      });
    const start = Math.max(now.getTime(), Date.parse(credential.validFrom ?? '') || 0);
    const defaultUntil = new Date(start + ctx.config.credentialValidityDays * 86_400_000).toISOString();
    // validFrom defaults to now unless the caller's own validUntil is already past (it must not precede validFrom).
    const startsNow = credential.validFrom === undefined && !(credential.validUntil && Date.parse(credential.validUntil) < now.getTime());
    return store.issue(
      async ({ listId, index }) =>
        issueCredential(
          {
            ...credential,
            id: credential.id ?? `urn:uuid:${crypto.randomUUID()}`,
            issuer: credential.issuer ?? ctx.did,
            ...(startsNow ? { validFrom: now.toISOString() } : {}),
            validUntil: credential.validUntil ?? defaultUntil,
            credentialStatus: withStatusEntry(credential, statusEntry(statusListUrl(ctx.config.publicUrl, listId), index)),
          },
          ctx.trust.signer,
          ctx.documentLoader,
          options,
        ),
      recorded,
    );
  }

  /** Revokes an issued credential and records why; undefined when it was not issued here. */
  function revoke(id: string, reason: string): Promise<IssuedCredentialRecord | undefined> {
    return store.revoke(id, reason, (trx, r) => audit.record(trx, { type: 'credential.revoked', actor: 'operator', subjects: subjects(r), details: { reason } }));
  }

  /** Records the operator's admission or suspension of a member. */
  async function recordMembership(member: Member, change: { admitted: true } | { suspended: string; revokedCredentials: number }): Promise<void> {
    if ('admitted' in change)
      await audit.record(undefined, { type: 'member.admitted', actor: 'operator', subjects: { memberDid: member.did }, details: { role: member.role, name: member.name } });
    else
      await audit.record(undefined, {
        type: 'member.suspended',
        actor: 'operator',
        subjects: { memberDid: member.did },
        details: { reason: change.suspended, revokedCredentials: change.revokedCredentials },
      });
  }

  /** The signed status list credential, signing the current bitstring if it changed since last time. */
  async function publishedStatusList(listId: string): Promise<VerifiableCredential | undefined> {
    const list = await store.statusList(listId);
    if (!list) return undefined;
    if (list.signed_credential) return JSON.parse(list.signed_credential);
    const unsigned = statusListCredential({
      url: statusListUrl(ctx.config.publicUrl, list.id),
      issuer: ctx.did,
      purpose: list.purpose,
      bits: new Uint8Array(Buffer.from(list.bits, 'base64')),
    });
    const signed = await issueCredential(unsigned, ctx.trust.signer, ctx.documentLoader);
    await store.saveSignedStatusList(list.id, list.updated_at, signed);
    return signed;
  }

  return { store, issue, revoke, recordMembership, publishedStatusList };
}

export type Authority = ReturnType<typeof createAuthority>;
