import type { ConnectorContext } from '../context.ts';
import { authorityStore, type AuthorityStore, type IssuedCredentialRecord, type StatusSeries } from '../storage/authority-store.ts';
import { createProofSigner, CredentialDataModelError, issueCredential, type Cryptosuite, type ProofSigner } from '../../contracts/credentials/proofs.ts';
import { checkDataspaceClaims, isDataspaceCredential } from '../../contracts/credentials/dataspace-claims.ts';
import { dataModelVersion, idOf } from '../../contracts/credentials/data-model.ts';
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
 * One of the names the authority issues under, both for its one identity key: its did:web (the DID members
 * trust, with a published DID document) and the did:key of the same key (resolved offline, for verifiers
 * that resolve did:key only). Each signs its own series of status lists.
 */
export interface IssuerIdentity {
  did: string;
  keyId: string;
  series: StatusSeries;
  signer(): Promise<ProofSigner>;
}

function issuerIdentities(ctx: ConnectorContext): IssuerIdentity[] {
  const keyDid = `did:key:${ctx.key.publicKeyMultibase}`;
  const keyId = `${keyDid}#${ctx.key.publicKeyMultibase}`;
  let keySigner: Promise<ProofSigner> | undefined;
  const signKey = { id: keyId, controller: keyDid, publicKeyMultibase: ctx.key.publicKeyMultibase };
  return [
    { did: ctx.did, keyId: ctx.keyId, series: 'revocation', signer: async () => ctx.trust.signer },
    { did: keyDid, keyId, series: 'key-revocation', signer: () => (keySigner ??= createProofSigner({ ...signKey, secretKeyMultibase: ctx.key.secretKeyMultibase() })) },
  ];
}

/**
 * The validity dates the authority fills in: the start (VCDM 2.0 validFrom, 1.1 issuanceDate) defaults to
 * now unless the caller's own end is already past (it must not precede the start); the end (validUntil,
 * expirationDate) defaults to the configured validity after the start.
 */
function validityDates(credential: VerifiableCredential, now: Date, validityDays: number): Record<string, string> {
  const [fromKey, untilKey] = dataModelVersion(credential) === '1.1' ? ['issuanceDate', 'expirationDate'] : ['validFrom', 'validUntil'];
  const from = credential[fromKey] as string | undefined;
  const until = credential[untilKey] as string | undefined;
  const start = Math.max(now.getTime(), Date.parse(from ?? '') || 0);
  const startsNow = from === undefined && !(until && Date.parse(until) < now.getTime());
  return {
    ...(startsNow ? { [fromKey]: now.toISOString() } : {}),
    [untilKey]: until ?? new Date(start + validityDays * 86_400_000).toISOString(),
  };
}

/**
 * The governance authority's issuing desk, the dataspace's layer above the standard VC-API: it secures the
 * data model version it is given (VCDM 2.0 or 1.1) under its did:web or its did:key; its own credential types
 * must make their claims (dataspace-claims.ts) and are issued as 2.0 under its did:web only. Every 2.0
 * credential it signs gets a revocation entry in one of its issuer's Bitstring Status Lists (beside any status
 * entries the caller gave); a 1.1 credential gets none (the entry's terms are defined by the 2.0 context only)
 * and keeps the caller's. Each credential gets a record, in the same transaction; revoking flips the bit, and
 * the list is re-signed when next requested.
 */
export function createAuthority(ctx: ConnectorContext) {
  const store: AuthorityStore = authorityStore(ctx.database.db, ctx.database.dialect);
  const audit = connectorAuditTrail(ctx);
  const identities = issuerIdentities(ctx);
  const subjects = (r: IssuedCredentialRecord) => ({ credentialId: r.id, ...(r.subjectDid ? { memberDid: r.subjectDid } : {}) });
  const recorded = (trx: Parameters<typeof audit.record>[0], r: IssuedCredentialRecord) =>
    audit.record(trx, {
      type: 'credential.issued',
      actor: 'operator',
      subjects: subjects(r),
      details: {
        types: r.types,
        validUntil: r.validUntil,
        ...(r.statusListId !== null && r.statusIndex !== null ? { statusList: r.statusListId, statusIndex: r.statusIndex } : {}),
      },
    });

  /** The issuing identity a credential names (this authority's did:web when it names none). */
  function identityOf(credential: VerifiableCredential): IssuerIdentity {
    const did = credential.issuer === undefined ? ctx.did : idOf(credential.issuer);
    const identity = identities.find((i) => i.did === did);
    if (!identity) throw new CredentialDataModelError([{ path: 'issuer', message: `must be one of this authority's DIDs (${identities.map((i) => i.did).join(', ')})` }]);
    if (identity.did !== ctx.did && isDataspaceCredential(credential))
      throw new CredentialDataModelError([{ path: 'issuer', message: `the dataspace's own credential types are issued under ${ctx.did}, the DID its members trust` }]);
    return identity;
  }

  /**
   * Applies the dataspace's claim rules, adds this authority as issuer (when absent), its status entry (2.0) and
   * default validity dates, then signs. Throws CredentialDataModelError (nothing is recorded) when a rule fails.
   */
  async function issue(credential: VerifiableCredential, options: { cryptosuite?: Cryptosuite } = {}): Promise<IssuedCredentialRecord> {
    const problems = checkDataspaceClaims(credential);
    if (problems.length > 0) throw new CredentialDataModelError(problems);
    const identity = identityOf(credential);
    const withStatus = dataModelVersion(credential) !== '1.1';
    const signer = await identity.signer();
    return store.issue(
      async (status) =>
        issueCredential(
          {
            ...credential,
            id: credential.id ?? `urn:uuid:${crypto.randomUUID()}`,
            issuer: credential.issuer ?? identity.did,
            ...validityDates(credential, new Date(), ctx.config.credentialValidityDays),
            ...(status ? { credentialStatus: withStatusEntry(credential, statusEntry(statusListUrl(ctx.config.publicUrl, status.listId), status.index)) } : {}),
          },
          signer,
          ctx.documentLoader,
          options,
        ),
      { series: withStatus ? identity.series : null, recorded },
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
    const identity = identities.find((i) => list?.id.startsWith(`${i.series}-`));
    if (!list || !identity) return undefined;
    if (list.signed_credential) return JSON.parse(list.signed_credential);
    const unsigned = statusListCredential({
      url: statusListUrl(ctx.config.publicUrl, list.id),
      issuer: identity.did,
      purpose: list.purpose,
      bits: new Uint8Array(Buffer.from(list.bits, 'base64')),
    });
    const signed = await issueCredential(unsigned, await identity.signer(), ctx.documentLoader);
    await store.saveSignedStatusList(list.id, list.updated_at, signed);
    return signed;
  }

  return { store, identities, issue, revoke, recordMembership, publishedStatusList };
}

export type Authority = ReturnType<typeof createAuthority>;
