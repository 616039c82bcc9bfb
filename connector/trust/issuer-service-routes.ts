import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem, problemResponse } from '../http/errors.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { serviceEndpointOf } from '../identity/did-web.ts';
import { credentialRequestStore } from '../storage/credential-request-store.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { NS } from '../../vocab/namespaces.ts';
import type { Authority } from './authority.ts';
import { requireCaller } from './caller-auth.ts';
import { DCP_CONTEXT } from './credential-service.ts';
import { signVcJwt11 } from '../../contracts/credentials/jwt-credentials.ts';

const ISSUANCE_KIND = 'dcp-issuance';
const DELIVERY_DEADLINE_MS = 60 * 60_000;

/**
 * What the authority issues, as DCP credential objects. Its credentials are Data Integrity (eddsa-rdfc-2022)
 * VCDM 2.0 credentials with a Bitstring Status List entry; DCP defines profiles for JWT credentials only, so
 * the profile names that form (`vc20-bssl/ldp`) and each credential travels with `format: ldp_vc`. Each is
 * also offered as a VC-JWT 1.1 (`<id>-jwt`, profile and format `vc11-sl2021/jwt`, what EDC and the DCP TCK
 * request): the same credential, signed with the authority's JWT key.
 */
const JWT_PROFILE = 'vc11-sl2021/jwt';
const SUPPORTED = [
  { id: 'participant-credential', credentialType: CREDENTIAL_TYPE.participant, offerReason: 'membership' },
  { id: 'data-permit-credential', credentialType: CREDENTIAL_TYPE.dataPermit, offerReason: 'data-permit' },
]
  .flatMap((c) => [
    { ...c, profile: 'vc20-bssl/ldp' },
    { ...c, id: `${c.id}-jwt`, profile: JWT_PROFILE },
  ])
  .map((c) => ({ ...c, type: 'CredentialObject', credentialSchema: `${NS.hdc}${c.credentialType}`, bindingMethods: ['did:web', 'did:key'] }));

const CredentialRequestMessage = z.object({
  '@context': z.array(z.string()).min(1),
  type: z.literal('CredentialRequestMessage'),
  holderPid: z.string().min(1).max(200),
  credentials: z
    .array(z.object({ id: z.string().min(1).max(300) }))
    .min(1)
    .max(10),
});

/**
 * The governance authority as a DCP Issuer Service (DCP 1.0 §6): its metadata (`GET /issuer/metadata`), a
 * member's CredentialRequestMessage (`POST /issuer/credentials`, 201 with the request's Location), and the
 * request's status (`GET /issuer/requests/:issuerPid`, for the holder that asked). The answer to a request is
 * a CredentialMessage sent to the holder's Storage API through the outbox (retried, never inside the request):
 * ISSUED with the member's current, unrevoked credentials of the requested types, or REJECTED with the reason.
 */
export function issuerServiceRoutes(ctx: ConnectorContext, authority: Authority): Hono {
  const app = new Hono();
  const requests = credentialRequestStore(ctx.database.db);
  ctx.outbox.handle(ISSUANCE_KIND, {
    async delivered(message) {
      await requests.setStatus(message.processId, (message.body as { status: 'ISSUED' | 'REJECTED' }).status);
    },
    async gaveUp(message, reason) {
      ctx.logger.warn('credential message not delivered', { issuerPid: message.processId, holder: message.audienceDid, reason });
    },
  });
  const auth = requireCaller(ctx.trust, (c, reason) => problemResponse(c, new HttpProblem(401, 'unauthorized', reason)), { trustProxy: ctx.config.trustProxy, logger: ctx.logger });
  app.use('/issuer/credentials', auth);
  app.use('/issuer/requests/*', auth);

  app.get('/issuer/metadata', (c) => c.json({ '@context': [DCP_CONTEXT], type: 'IssuerMetadata', issuer: ctx.did, credentialsSupported: SUPPORTED }));

  app.post('/issuer/credentials', async (c) => {
    const holder = c.get('caller').did;
    const message = await parseJsonBody(c, CredentialRequestMessage);
    const unknown = message.credentials.filter((r) => !SUPPORTED.some((s) => s.id === r.id)).map((r) => r.id);
    if (unknown.length > 0) throw new HttpProblem(400, 'invalid_request', `not offered by this issuer: ${unknown.join(', ')} (see /issuer/metadata)`);
    const endpoint = serviceEndpointOf(await ctx.didResolver.resolve(holder), 'CredentialService');
    if (!endpoint) throw new HttpProblem(400, 'invalid_request', `${holder} announces no CredentialService to deliver credentials to`);
    const requested = SUPPORTED.filter((s) => message.credentials.some((r) => r.id === s.id));
    const types = requested.map((s) => s.credentialType);
    const member = await authority.store.member(holder);
    const now = Date.now();
    const records =
      member?.status === 'active'
        ? (await authority.store.issued({ subjectDid: holder })).filter(
            (r) => !r.revokedAt && (!r.validUntil || Date.parse(r.validUntil) > now) && r.types.some((t) => (types as string[]).includes(t)),
          )
        : [];
    const issuerPid = `urn:uuid:${crypto.randomUUID()}`;
    const rejectionReason =
      member?.status !== 'active' ? 'the holder is not an active member of the dataspace' : records.length === 0 ? 'no such credential was issued to the holder' : undefined;
    const body = {
      '@context': [DCP_CONTEXT],
      type: 'CredentialMessage',
      issuerPid,
      holderPid: message.holderPid,
      status: rejectionReason ? 'REJECTED' : 'ISSUED',
      credentials: await Promise.all(
        requested.flatMap((s) =>
          records
            .filter((r) => r.types.includes(s.credentialType))
            .map(async (r) => ({
              credentialType: s.credentialType,
              format: s.profile === JWT_PROFILE ? JWT_PROFILE : 'ldp_vc',
              payload: s.profile === JWT_PROFILE ? await signVcJwt11(r.credential, ctx.trust.jwtKey.keyId, ctx.trust.jwtKey.privateKey) : r.credential,
            })),
        ),
      ),
      ...(rejectionReason ? { rejectionReason } : {}),
    };
    await ctx.database.db.transaction().execute(async (trx) => {
      await requests.insert(trx, {
        issuerPid,
        holderPid: message.holderPid,
        holderDid: holder,
        requested: message.credentials.map((r) => r.id),
        status: 'RECEIVED',
        rejectionReason: rejectionReason ?? null,
      });
      await ctx.outbox.enqueue(trx, {
        kind: ISSUANCE_KIND,
        processId: issuerPid,
        messageType: 'CredentialMessage',
        url: `${endpoint}/credentials`,
        audienceDid: holder,
        body,
        // DCP 1.0 §6.4: the holder's access token, if its request carried one, goes back with the credentials.
        ...(c.get('caller').accessToken ? { accessToken: c.get('caller').accessToken } : {}),
        deadline: new Date(now + DELIVERY_DEADLINE_MS),
      });
    });
    ctx.logger.info('credential request received', { holder, issuerPid, types, credentials: records.length, ...(rejectionReason ? { rejectionReason } : {}) });
    return c.body(null, 201, { Location: `${ctx.config.publicUrl}/issuer/requests/${encodeURIComponent(issuerPid)}` });
  });

  app.get('/issuer/requests/:id', async (c) => {
    const request = await requests.get(c.req.param('id'));
    // Another holder's request is as unknown as a request that never existed.
    if (!request || request.holderDid !== c.get('caller').did) throw new HttpProblem(404, 'not_found', `No credential request ${c.req.param('id')}`);
    return c.json({ '@context': [DCP_CONTEXT], type: 'CredentialStatus', issuerPid: request.issuerPid, holderPid: request.holderPid, status: request.status });
  });
  return app;
}

/** The credential objects of this issuer's metadata, for its offers (credential-offers.ts). */
export { SUPPORTED as CREDENTIALS_SUPPORTED };
