import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { walletIssuanceStore } from '../storage/wallet-issuance-store.ts';
import { requestCredentials, waitForDelivery } from './credential-requests.ts';
import type { StoredCredential } from '../storage/trust-store.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { verifyAndStore } from './wallet-hygiene.ts';

const ImportCredential = z.strictObject({ verifiableCredential: z.record(z.string(), z.unknown()) });
const RequestCredentials = z.strictObject({
  authorityDid: z.string().regex(/^did:/, 'must be a DID').optional(),
  /** Credential object ids from the issuer's metadata; default: every one of a type the issuer is trusted for. */
  credentials: z.array(z.string().min(1).max(300)).min(1).max(10).optional(),
  /** How long to wait for the delivery at the Storage API (default 30 s). */
  waitSeconds: z.number().int().min(1).max(120).default(30),
});
const RequestOverDcp = z.strictObject({
  issuerDid: z.string().regex(/^did:/, 'must be a DID').optional(),
  /** Credential object ids from the issuer's metadata; default: every one of a type the issuer is trusted for. */
  credentials: z.array(z.string().min(1).max(300)).min(1).max(10).optional(),
});
const Refusal = z.object({ id: z.string().optional(), code: z.string(), message: z.string() });
const RequestView = z.object({
  holderPid: z.string(),
  issuerDid: z.string(),
  issuerPid: z.string().nullable(),
  requested: z.array(z.string()),
  status: z.enum(['REQUESTED', 'RECEIVED', 'FAILED', 'ISSUED', 'REJECTED', 'REFUSED']),
  reason: z.string().nullable(),
  credentialIds: z.array(z.string()),
  refusals: z.array(Refusal),
  offerId: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const OfferView = z.object({
  id: z.string(),
  issuerDid: z.string(),
  credentials: z.array(z.record(z.string(), z.unknown())),
  status: z.enum(['received', 'requested', 'ignored', 'failed']),
  holderPid: z.string().nullable(),
  note: z.string().nullable(),
  receivedAt: z.string(),
});
const CredentialView = z.object({
  id: z.string(),
  types: z.array(z.string()),
  issuer: z.string(),
  validUntil: z.string().nullable(),
  storedAt: z.string(),
  status: z.enum(['valid', 'revoked', 'suspended', 'expired', 'superseded']),
  statusCheckedAt: z.string().nullable(),
});
const credentialView = ({ credential: _full, ...summary }: StoredCredential) => summary;

/**
 * The wallet's management API: the credentials this connector holds (imported, or delivered by issuers over
 * DCP), the credential requests it sent and the offers it received.
 */
export function walletManagementRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  const issuance = walletIssuanceStore(ctx.database.db);
  const tag = 'wallet';
  ctx.openapi.add(
    {
      method: 'get',
      path: '/wallet/credentials',
      tag,
      summary: 'Credentials this connector holds',
      responses: { 200: { description: 'Held credentials', schema: z.object({ credentials: z.array(CredentialView) }) } },
    },
    {
      method: 'get',
      path: '/wallet/credentials/{id}',
      tag,
      summary: 'One held credential, whole',
      responses: { 200: { description: 'The credential' }, 404: { description: 'Not held' } },
    },
    {
      method: 'post',
      path: '/wallet/credentials',
      tag,
      summary: 'Import a credential: it must verify and be about this connector',
      body: ImportCredential,
      responses: { 201: { description: 'Stored', schema: CredentialView }, 422: { description: 'Refused, with the reason' } },
    },
    {
      method: 'delete',
      path: '/wallet/credentials/{id}',
      tag,
      summary: 'Remove a held credential',
      responses: { 204: { description: 'Removed' }, 404: { description: 'Not held' } },
    },
    {
      method: 'post',
      path: '/wallet/credential-requests',
      tag,
      summary: 'Ask an issuer service for credentials over DCP (CredentialRequestMessage); they arrive at the Storage API',
      body: RequestOverDcp,
      responses: { 202: { description: 'Requested: the holderPid and where the issuer keeps the request' }, 502: { description: 'The issuer refused or failed' } },
    },
    {
      method: 'get',
      path: '/wallet/credential-requests',
      tag,
      summary: 'The credential requests this connector sent (newest first, 100) and what their deliveries brought',
      responses: { 200: { description: 'Requests', schema: z.object({ requests: z.array(RequestView) }) } },
    },
    {
      method: 'get',
      path: '/wallet/credential-requests/{holderPid}',
      tag,
      summary: 'One credential request',
      responses: { 200: { description: 'The request', schema: RequestView }, 404: { description: 'Never sent' } },
    },
    {
      method: 'get',
      path: '/wallet/offers',
      tag,
      summary: 'Credential offers (DCP CredentialOfferMessage) issuers sent (newest first, 100) and what became of them',
      responses: { 200: { description: 'Offers', schema: z.object({ offers: z.array(OfferView) }) } },
    },
    {
      method: 'post',
      path: '/wallet/request',
      tag,
      summary: 'Request credentials from a governance authority over DCP and wait (waitSeconds) for their delivery',
      body: RequestCredentials,
      responses: {
        200: { description: 'The request, what was stored and what was refused (status ISSUED, REJECTED or REFUSED)' },
        502: { description: 'The authority refused the request or could not be reached' },
        504: { description: 'Requested, but not delivered within waitSeconds (the holderPid finds it later)' },
      },
    },
  );

  app.get('/wallet/credentials', async (c) => c.json({ credentials: (await ctx.wallet.list()).map(credentialView) }));
  app.get('/wallet/credentials/:id', async (c) => {
    const held = await ctx.wallet.get(c.req.param('id'));
    if (!held) throw new HttpProblem(404, 'not_found', `No credential ${c.req.param('id')} in the wallet`);
    return c.json(held.credential);
  });
  app.post('/wallet/credentials', async (c) => {
    const { verifiableCredential } = await parseJsonBody(c, ImportCredential);
    const { stored, refusal } = await verifyAndStore(ctx, verifiableCredential as VerifiableCredential);
    if (!stored) throw new HttpProblem(422, `credential_${refusal!.code}`, `The credential was not stored: ${refusal!.message}`);
    return c.json(credentialView(stored), 201);
  });
  app.delete('/wallet/credentials/:id', async (c) => {
    if (!(await ctx.wallet.remove(c.req.param('id')))) throw new HttpProblem(404, 'not_found', `No credential ${c.req.param('id')} in the wallet`);
    return c.body(null, 204);
  });
  app.post('/wallet/credential-requests', async (c) => {
    const { issuerDid = ctx.config.trustedIssuers[0]?.did, credentials } = await parseJsonBody(c, RequestOverDcp);
    if (!issuerDid) throw new HttpProblem(400, 'invalid_request', 'Name the issuerDid (no trusted issuer is configured)');
    return c.json(await requestCredentials(ctx, issuerDid, credentials ? { credentials } : {}), 202);
  });
  app.get('/wallet/credential-requests', async (c) => c.json({ requests: await issuance.requests() }));
  app.get('/wallet/credential-requests/:holderPid', async (c) => {
    const request = await issuance.request(c.req.param('holderPid'));
    if (!request) throw new HttpProblem(404, 'not_found', `No credential request ${c.req.param('holderPid')} was sent from here`);
    return c.json(request);
  });
  app.get('/wallet/offers', async (c) => c.json({ offers: await issuance.offers() }));

  app.post('/wallet/request', async (c) => {
    const { authorityDid = ctx.config.trustedIssuers[0]?.did, credentials, waitSeconds } = await parseJsonBody(c, RequestCredentials);
    if (!authorityDid) throw new HttpProblem(400, 'invalid_request', 'Name the authorityDid (no trusted issuer is configured)');
    const { holderPid } = await requestCredentials(ctx, authorityDid, credentials ? { credentials } : {});
    const request = await waitForDelivery(ctx, holderPid, waitSeconds * 1000);
    if (!request || !['ISSUED', 'REJECTED', 'REFUSED'].includes(request.status))
      throw new HttpProblem(
        504,
        'delivery_timeout',
        `${authorityDid} accepted request ${holderPid} but delivered nothing within ${waitSeconds} s (GET /api/wallet/credential-requests/${holderPid})`,
      );
    const held = await Promise.all(request.credentialIds.map((id) => ctx.wallet.get(id)));
    return c.json({
      holderPid,
      issuerDid: authorityDid,
      status: request.status,
      ...(request.status === 'REJECTED' ? { rejectionReason: request.reason } : {}),
      stored: held.flatMap((h) => (h ? [credentialView(h)] : [])),
      refused: request.refusals,
    });
  });
  return app;
}
