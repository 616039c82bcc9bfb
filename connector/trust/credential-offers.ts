import type { ConnectorContext } from '../context.ts';
import { serviceEndpointOf } from '../identity/did-web.ts';
import { DCP_CONTEXT } from './credential-service.ts';
import { CREDENTIALS_SUPPORTED } from './issuer-service-routes.ts';

/** Ids of the credential objects the authority offers (from its issuer metadata). */
export type CredentialObjectId = 'participant-credential' | 'data-permit-credential';

const OFFER_KIND = 'dcp-offer';
const OFFER_DEADLINE_MS = 60 * 60_000;

/** What the outbox reports of an offer that could not be delivered: a log line (an offer is a courtesy). */
export function handleOfferDeliveries(ctx: ConnectorContext): void {
  ctx.outbox.handle(OFFER_KIND, {
    async gaveUp(message, reason) {
      ctx.logger.warn('credential offer not delivered', { holder: message.audienceDid, reason });
    },
  });
}

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
  const credentials = CREDENTIALS_SUPPORTED.filter((c) => (ids as string[]).includes(c.id)).map((c) => ({ ...c, ...(offerReason ? { offerReason } : {}) }));
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
