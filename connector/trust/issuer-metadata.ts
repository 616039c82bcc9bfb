import type { ConnectorContext } from '../context.ts';
import { serviceEndpointOf } from '../identity/did-web.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { NS } from '../../vocab/namespaces.ts';
import { DCP_CONTEXT } from './credential-service.ts';

/**
 * What the authority issues, as DCP credential objects (§6.7: every optional property present). Its credentials
 * are Data Integrity VCDM 2.0 credentials with a Bitstring Status List entry; DCP defines profiles for JWT
 * credentials only, so the profile names that form (`vc20-bssl/ldp`) and each credential travels with
 * `format: ldp_vc`.
 */
export const CREDENTIALS_SUPPORTED = [
  { id: 'participant-credential', credentialType: CREDENTIAL_TYPE.participant, offerReason: 'membership' },
  { id: 'data-permit-credential', credentialType: CREDENTIAL_TYPE.dataPermit, offerReason: 'data-permit' },
].map((c) => ({ ...c, type: 'CredentialObject', credentialSchema: `${NS.hdc}${c.credentialType}`, bindingMethods: ['did:web', 'did:key'], profile: 'vc20-bssl/ldp' }));

export type CredentialObjectId = (typeof CREDENTIALS_SUPPORTED)[number]['id'];

/** Outbox kind of the authority's CredentialOfferMessages. */
export const OFFER_KIND = 'dcp-offer';
const OFFER_DEADLINE_MS = 60 * 60_000;

/**
 * DCP 1.0 §6.6: tells a member that it may request credentials (the objects of this issuer's metadata), by a
 * CredentialOfferMessage to the `<cs>/offers` of the CredentialService its DID document names, sent through
 * the outbox (retried for an hour). An offer is a courtesy: when the member's DID document cannot be read
 * now, nothing is sent (logged) and the member can still request at any time.
 */
export async function offerCredentials(ctx: ConnectorContext, holderDid: string, ids: CredentialObjectId[], offerReason?: string): Promise<boolean> {
  let endpoint: string | undefined;
  try {
    endpoint = serviceEndpointOf(await ctx.didResolver.resolve(holderDid), 'CredentialService');
  } catch (error) {
    ctx.logger.warn('no credential offer sent: the member’s DID document cannot be read', { holder: holderDid, error: (error as Error).message });
    return false;
  }
  if (!endpoint) {
    ctx.logger.info('no credential offer sent: the member announces no CredentialService', { holder: holderDid });
    return false;
  }
  const credentials = CREDENTIALS_SUPPORTED.filter((c) => ids.includes(c.id)).map((c) => ({ ...c, ...(offerReason ? { offerReason } : {}) }));
  await ctx.outbox.enqueue(ctx.database.db, {
    kind: OFFER_KIND,
    processId: `urn:uuid:${crypto.randomUUID()}`,
    messageType: 'CredentialOfferMessage',
    url: `${endpoint}/offers`,
    audienceDid: holderDid,
    body: { '@context': [DCP_CONTEXT], type: 'CredentialOfferMessage', issuer: ctx.did, credentials },
    deadline: new Date(Date.now() + OFFER_DEADLINE_MS),
  });
  ctx.logger.info('credentials offered', { holder: holderDid, credentials: ids });
  return true;
}
