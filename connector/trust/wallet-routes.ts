import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { ISSUER_SERVICE, MEMBER_REGISTRY_SERVICE, serviceEndpointOf } from '../identity/did-web.ts';
import { DCP_CONTEXT } from './credential-service.ts';
import type { StoredCredential } from '../storage/trust-store.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { verifyAndStore } from './wallet-hygiene.ts';

const ImportCredential = z.strictObject({ verifiableCredential: z.record(z.string(), z.unknown()) });
const RequestCredentials = z.strictObject({ authorityDid: z.string().regex(/^did:/, 'must be a DID').optional() });
const RequestOverDcp = z.strictObject({
  issuerDid: z.string().regex(/^did:/, 'must be a DID').optional(),
  /** Credential object ids from the issuer's metadata; default: every credential type it offers, in the first form it lists. */
  credentials: z.array(z.string().min(1).max(300)).min(1).max(10).optional(),
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

/** Where a governance authority hands its members their credentials (its DID document names the registry). */
async function registryEndpoint(ctx: ConnectorContext, authorityDid: string): Promise<string> {
  const doc = await ctx.didResolver.resolve(authorityDid);
  const service = (doc.service ?? []).find((s) => s.type === MEMBER_REGISTRY_SERVICE);
  if (typeof service?.serviceEndpoint !== 'string') throw new HttpProblem(400, 'not_an_authority', `${authorityDid} publishes no ${MEMBER_REGISTRY_SERVICE}`);
  return service.serviceEndpoint.replace(/\/+$/, '');
}

/** The wallet's management API: the credentials this connector holds, imported or collected from its authority. */
export function walletManagementRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
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
      method: 'post',
      path: '/wallet/request',
      tag,
      summary: 'Collect the credentials a governance authority issued to this connector',
      body: RequestCredentials,
      responses: { 200: { description: 'What was stored and what was refused' } },
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
    const endpoint = serviceEndpointOf(await ctx.didResolver.resolve(issuerDid), ISSUER_SERVICE);
    if (!endpoint) throw new HttpProblem(400, 'not_an_authority', `${issuerDid} publishes no ${ISSUER_SERVICE}`);
    let ids = credentials;
    if (!ids) {
      const metadata = await ctx.dspFetch({ url: `${endpoint}/metadata`, audienceDid: issuerDid, method: 'GET' });
      const offered = ((await metadata.json().catch(() => ({}))) as { credentialsSupported?: { id?: unknown; credentialType?: unknown }[] }).credentialsSupported;
      if (!metadata.ok || !Array.isArray(offered)) throw new HttpProblem(502, 'authority_garbage', `${issuerDid} answered no issuer metadata`);
      // One form of each credential type: the first the issuer lists (it may offer one type in several profiles).
      const types = new Map<unknown, string>();
      for (const o of offered) if (typeof o.id === 'string' && !types.has(o.credentialType ?? o.id)) types.set(o.credentialType ?? o.id, o.id);
      ids = [...types.values()];
    }
    const holderPid = `urn:uuid:${crypto.randomUUID()}`;
    const response = await ctx.dspFetch({
      url: `${endpoint}/credentials`,
      audienceDid: issuerDid,
      body: { '@context': [DCP_CONTEXT], type: 'CredentialRequestMessage', holderPid, credentials: ids.map((id) => ({ id })) },
    });
    await response.body?.cancel();
    if (response.status !== 201) throw new HttpProblem(502, 'authority_refused', `${issuerDid} answered HTTP ${response.status}`);
    ctx.logger.info('credentials requested over DCP', { issuer: issuerDid, holderPid, credentials: ids });
    return c.json({ holderPid, issuerDid, requested: ids, location: response.headers.get('location') }, 202);
  });

  app.post('/wallet/request', async (c) => {
    const { authorityDid = ctx.config.trustedIssuers[0]?.did } = await parseJsonBody(c, RequestCredentials);
    if (!authorityDid) throw new HttpProblem(400, 'invalid_request', 'Name the authorityDid (no trusted issuer is configured)');
    const endpoint = await registryEndpoint(ctx, authorityDid);
    const response = await ctx.dspFetch({ url: `${endpoint}/credentials`, audienceDid: authorityDid, method: 'GET' });
    if (!response.ok) throw new HttpProblem(502, 'authority_refused', `${authorityDid} answered HTTP ${response.status}`);
    const body = (await response.json().catch(() => ({}))) as { credentials?: unknown };
    if (!Array.isArray(body.credentials)) throw new HttpProblem(502, 'authority_garbage', `${authorityDid} did not answer with a list of credentials`);
    const results = await Promise.all(body.credentials.map((vc) => verifyAndStore(ctx, vc as VerifiableCredential)));
    return c.json({
      stored: results.flatMap((r) => (r.stored ? [credentialView(r.stored)] : [])),
      refused: results.flatMap((r) => (r.refusal ? [r.refusal] : [])),
    });
  });
  return app;
}
