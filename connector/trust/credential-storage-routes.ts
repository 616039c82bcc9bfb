import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody } from '../http/openapi.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { requireCaller, type UnauthenticatedResponse } from './caller-auth.ts';
import { checkForWallet, storeChecked } from './wallet-hygiene.ts';
import { deliveryRecorded, receiveOffer } from './credential-requests.ts';
import { walletIssuanceStore } from '../storage/wallet-issuance-store.ts';

const Context = z.array(z.string()).optional();
const MAX_REASON = 2000;

/** DCP 1.0 §6.5.1 CredentialMessage: what an issuer service sends to the holder's Storage API. */
const CredentialMessage = z.object({
  '@context': Context,
  type: z.literal('CredentialMessage'),
  issuerPid: z.string().min(1).max(200),
  holderPid: z.string().min(1).max(200),
  status: z.enum(['ISSUED', 'REJECTED']),
  rejectionReason: z.string().max(2000).optional(),
  credentials: z
    .array(
      z.object({
        credentialType: z.string().min(1).max(200),
        format: z.string().min(1).max(100),
        payload: z.union([
          z
            .string()
            .min(1)
            .max(64 * 1024),
          z.record(z.string(), z.unknown()),
        ]),
      }),
    )
    .max(20),
});

/** DCP 1.0 §6.6.1 CredentialOfferMessage: an issuer tells the holder which credentials it may request. */
const CredentialOfferMessage = z.object({
  '@context': Context,
  type: z.literal('CredentialOfferMessage'),
  issuer: z.string().regex(/^did:/, 'must be a DID'),
  credentials: z
    .array(
      z
        .object({
          id: z.string().min(1).max(300),
          type: z.literal('CredentialObject').optional(),
          credentialType: z.string().max(200).optional(),
          offerReason: z.string().max(200).optional(),
        })
        .passthrough(),
    )
    .min(1)
    .max(50),
});

/**
 * The credential service's issuance side (DCP 1.0 §6.5, §6.6): the Storage API (`<cs>/credentials`), where
 * an issuer service delivers issued credentials, and the Offer API (`<cs>/offers`). Both are called with
 * the issuer's self-issued ID token (iss = sub = the issuer's DID, aud = this connector). A delivered
 * credential is stored only when it verifies, is about this connector and was issued by the caller; a
 * message with one bad credential stores none of them. A delivery whose holderPid names one of this
 * connector's requests completes it (ISSUED, REJECTED, or REFUSED by this wallet); one whose holderPid it never
 * sent (DCP makes holderPid a correlation hint, and the TCK sends its own) is judged the same way, on its
 * credentials alone, and matches nothing. Offers are recorded and, from trusted issuers, answered with requests.
 */
export function credentialStorageRoutes(ctx: ConnectorContext, unauthenticated: UnauthenticatedResponse): Hono {
  const app = new Hono();
  const auth = requireCaller(ctx.trust, unauthenticated, { trustProxy: ctx.config.trustProxy, logger: ctx.logger });
  app.use('/dcp/credentials', auth);
  app.use('/dcp/offers', auth);
  const requests = walletIssuanceStore(ctx.database.db);

  app.post('/dcp/credentials', async (c) => {
    const issuer = c.get('caller').did;
    const message = await parseJsonBody(c, CredentialMessage);
    const request = await requests.request(message.holderPid);
    // A holderPid names one of our requests to one issuer: another issuer cannot answer it.
    if (request && request.issuerDid !== issuer) throw new HttpProblem(400, 'invalid_request', `holderPid ${message.holderPid} names a request to another issuer`);
    const answer = async (delivery: Parameters<typeof requests.delivered>[1]) => {
      if (!request) return;
      await requests.delivered(request.holderPid, delivery);
      deliveryRecorded(request.holderPid);
    };
    const solicited = request !== undefined;
    if (message.status === 'REJECTED') {
      ctx.logger.info('credential request rejected by its issuer', { issuer, holderPid: message.holderPid, solicited, reason: message.rejectionReason?.slice(0, 200) });
      await answer({ issuerPid: message.issuerPid, status: 'REJECTED', reason: (message.rejectionReason ?? 'no reason given').slice(0, MAX_REASON) });
      return c.body(null, 204);
    }
    if (message.credentials.length === 0) {
      const reason = 'an ISSUED CredentialMessage carries at least one credential';
      await answer({ issuerPid: message.issuerPid, status: 'REFUSED', reason });
      throw new HttpProblem(400, 'invalid_request', reason);
    }
    // Every credential is checked before any is stored.
    const checked = [];
    for (const [i, entry] of message.credentials.entries()) {
      const check = await checkForWallet(ctx, entry.payload as VerifiableCredential | string, issuer);
      if (check.refusal) {
        const reason = `credentials[${i}] (${entry.credentialType}) was not stored: ${check.refusal.code}: ${check.refusal.message}`;
        await answer({ issuerPid: message.issuerPid, status: 'REFUSED', reason: reason.slice(0, MAX_REASON), refusals: [check.refusal] });
        throw new HttpProblem(400, 'invalid_credential', reason);
      }
      checked.push(check);
    }
    const stored = [];
    for (const check of checked) stored.push((await storeChecked(ctx, check)).id);
    await answer({ issuerPid: message.issuerPid, status: 'ISSUED', credentialIds: stored });
    ctx.logger.info('credentials stored', { issuer, issuerPid: message.issuerPid, holderPid: message.holderPid, solicited, ids: stored });
    return c.body(null, 200);
  });

  app.post('/dcp/offers', async (c) => {
    const caller = c.get('caller').did;
    const offer = await parseJsonBody(c, CredentialOfferMessage);
    if (offer.issuer !== caller) throw new HttpProblem(403, 'forbidden', `the offer names ${offer.issuer} as issuer, but was sent by ${caller}`);
    const id = await receiveOffer(ctx, caller, offer.credentials);
    ctx.logger.info('credential offer received', { issuer: caller, offer: id, credentials: offer.credentials.map((o) => o.credentialType ?? o.id).slice(0, 20) });
    return c.body(null, 200);
  });
  return app;
}
