import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { parseJsonBody, parseQuery } from '../http/openapi.ts';
import { MessageOffer } from '../../contracts/negotiation/messages.ts';
import { NEGOTIATION_STATES } from '../../contracts/negotiation/state-machine.ts';
import type { Negotiation, StoredAgreement } from '../../contracts/negotiation/negotiation.ts';
import { federatedStore, type FederatedStore } from '../storage/catalog-store.ts';
import { NegotiationProblem, type NegotiationService } from './negotiation-service.ts';

const StartNegotiation = z.union([
  z.strictObject({
    providerDid: z.string().regex(/^did:/, 'must be a DID'),
    /** The provider's DSP base address, e.g. http://127.0.0.1:8701/dsp/2025-1 */
    providerAddress: z.url({ protocol: /^https?$/ }),
    offer: MessageOffer,
  }),
  z.strictObject({
    /** A dataset found in the federated catalog; its provider and offer are taken from there. */
    datasetId: z.string().min(1),
    offerId: z.string().min(1).optional(),
    providerDid: z.string().regex(/^did:/, 'must be a DID').optional(),
  }),
]);
const Counter = z.strictObject({ offer: MessageOffer });
const Reason = z.strictObject({ reason: z.string().min(1).max(500) });
const GetQuery = z.object({
  /** Hold the answer until the negotiation is in one of these states (comma-separated), or timeoutMs passes. */
  waitFor: z
    .string()
    .regex(/^[A-Z]+(,[A-Z]+)*$/, 'a comma-separated list of states')
    .optional(),
  timeoutMs: z.coerce.number().int().min(0).max(60_000).default(30_000),
});
const ListQuery = z.object({ role: z.enum(['provider', 'consumer']).optional(), state: z.enum(NEGOTIATION_STATES).optional() });

const NegotiationView = z.object({
  id: z.string(),
  role: z.string(),
  state: z.string(),
  consumerPid: z.string().nullable(),
  providerPid: z.string().nullable(),
  counterpartyDid: z.string(),
  datasetId: z.string(),
  offerId: z.string(),
  agreementId: z.string().nullable(),
  pending: z.string().nullable(),
  reasons: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const AgreementView = z.object({
  id: z.string(),
  negotiationId: z.string(),
  role: z.string(),
  providerDid: z.string(),
  consumerDid: z.string(),
  datasetId: z.string(),
  counterSigned: z.boolean(),
  transferCount: z.number(),
  createdAt: z.string(),
  agreement: z.unknown(),
  credential: z.unknown(),
});

const view = (n: Negotiation) => ({
  id: n.id,
  role: n.role,
  state: n.state,
  consumerPid: n.consumerPid,
  providerPid: n.providerPid,
  counterpartyDid: n.counterpartyDid,
  datasetId: n.datasetId,
  offerId: n.offer['@id'],
  agreementId: n.agreementId,
  pending: n.pending,
  reasons: n.reasons,
  createdAt: n.createdAt,
  updatedAt: n.updatedAt,
});
const agreementView = (a: StoredAgreement) => a;

/** Provider, address and offer of a dataset the federated catalog knows; a 404/409 says what is missing. */
async function resolveFromCatalog(federated: FederatedStore, input: { datasetId: string; offerId?: string; providerDid?: string }) {
  const entries = (await federated.find(input.datasetId)).filter((e) => !input.providerDid || e.providerDid === input.providerDid);
  if (entries.length === 0)
    throw new HttpProblem(404, 'not_found', `The federated catalog has no dataset ${input.datasetId}${input.providerDid ? ` from ${input.providerDid}` : ''}; crawl first`);
  if (entries.length > 1) throw new HttpProblem(409, 'ambiguous', `Several providers offer ${input.datasetId}; name providerDid`);
  const entry = entries[0]!;
  const offers = ((entry.dataset.hasPolicy as Record<string, unknown>[] | undefined) ?? []).filter((o) => !input.offerId || o['@id'] === input.offerId);
  if (offers.length === 0) throw new HttpProblem(404, 'not_found', `Dataset ${input.datasetId} has no offer ${input.offerId ?? ''}`.trim());
  if (offers.length > 1) throw new HttpProblem(409, 'ambiguous', `Dataset ${input.datasetId} has several offers; name offerId`);
  const offer = MessageOffer.safeParse({ ...offers[0], target: input.datasetId });
  if (!offer.success) throw new HttpProblem(502, 'invalid_offer', `The provider's offer is not a valid ODRL offer: ${offer.error.issues[0]?.message}`);
  return { providerDid: entry.providerDid, providerAddress: entry.dspAddress, offer: offer.data };
}

/** Management API: start, list, inspect, approve, reject and terminate negotiations; list and get agreements. */
export function negotiationManagementRoutes(ctx: ConnectorContext, service: NegotiationService): Hono {
  const app = new Hono();
  const tag = 'negotiations';
  ctx.openapi.add(
    {
      method: 'post',
      path: '/negotiations',
      tag,
      summary: 'Start a negotiation: for an offer at a provider, or for a dataset of the federated catalog (its offer and provider looked up)',
      body: StartNegotiation,
      responses: { 201: { description: 'The negotiation, REQUESTED', schema: NegotiationView }, 400: { description: 'Invalid request' } },
    },
    {
      method: 'get',
      path: '/negotiations',
      tag,
      summary: 'Negotiations, newest first',
      query: ListQuery,
      responses: { 200: { description: 'Negotiations', schema: z.object({ negotiations: z.array(NegotiationView) }) } },
    },
    {
      method: 'get',
      path: '/negotiations/{id}',
      tag,
      summary: 'One negotiation; with waitFor, answered once it reaches one of those states (or after timeoutMs)',
      query: GetQuery,
      responses: { 200: { description: 'The negotiation', schema: NegotiationView }, 404: { description: 'Unknown' } },
    },
    {
      method: 'post',
      path: '/negotiations/{id}/terminate',
      tag,
      summary: 'Terminate a negotiation; the peer is told why',
      body: Reason,
      responses: { 200: { description: 'TERMINATED', schema: NegotiationView }, 409: { description: 'Already final' } },
    },
    {
      method: 'post',
      path: '/negotiations/{id}/approve',
      tag,
      summary:
        'Provider: approve a negotiation that awaits approval: a request the policy permitted (agree), or with reviewNegotiationSteps an ACCEPTED counter-offer (agree) or a VERIFIED agreement (finalize)',
      responses: { 200: { description: 'AGREED, or FINALIZED from VERIFIED', schema: NegotiationView }, 409: { description: 'Does not await approval' } },
    },
    {
      method: 'post',
      path: '/negotiations/{id}/reject',
      tag,
      summary: 'Provider: reject a negotiation that awaits approval (request, accepted counter-offer or verified agreement): it is terminated',
      body: Reason,
      responses: { 200: { description: 'TERMINATED', schema: NegotiationView }, 409: { description: 'Does not await approval' } },
    },
    {
      method: 'post',
      path: '/negotiations/{id}/accept',
      tag,
      summary: "Consumer: accept the provider's offer as it stands",
      responses: { 200: { description: 'ACCEPTED', schema: NegotiationView }, 409: { description: 'Not OFFERED' } },
    },
    {
      method: 'post',
      path: '/negotiations/{id}/verify',
      tag,
      summary: 'Consumer: verify an agreement held for review (reviewAgreements); it is counter-signed and the provider told',
      responses: { 200: { description: 'VERIFIED or later', schema: NegotiationView }, 409: { description: 'Not AGREED under review' } },
    },
    {
      method: 'post',
      path: '/negotiations/{id}/counter',
      tag,
      summary: 'Answer with other terms: a counter-offer (provider) or a counter-request (consumer)',
      body: Counter,
      responses: { 200: { description: 'OFFERED or REQUESTED', schema: NegotiationView }, 409: { description: 'Not in a state to counter' } },
    },
    {
      method: 'get',
      path: '/agreements',
      tag,
      summary: 'Agreements, newest first',
      responses: { 200: { description: 'Agreements', schema: z.object({ agreements: z.array(AgreementView) }) } },
    },
    {
      method: 'get',
      path: '/agreements/{id}',
      tag,
      summary: 'One agreement with its doubly-signed credential',
      responses: { 200: { description: 'The agreement', schema: AgreementView }, 404: { description: 'Unknown' } },
    },
  );

  const federated = federatedStore(ctx.database.db);
  const fromFederatedCatalog = (input: { datasetId: string; offerId?: string; providerDid?: string }) => resolveFromCatalog(federated, input);
  const found = (n: Negotiation | undefined, id: string) => {
    if (!n) throw new HttpProblem(404, 'not_found', `No negotiation ${id}`);
    return view(n);
  };
  const guarded = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof NegotiationProblem) throw new HttpProblem(error.status === 409 ? 409 : 400, 'invalid_state', error.message);
      throw error;
    }
  };

  app.post('/negotiations', async (c) => {
    const input = await parseJsonBody(c, StartNegotiation);
    return c.json(view(await service.start('offer' in input ? input : await fromFederatedCatalog(input))), 201);
  });
  app.get('/negotiations', async (c) => c.json({ negotiations: (await service.store.list(parseQuery(c, ListQuery))).map(view) }));
  app.get('/negotiations/:id', async (c) => {
    const { waitFor, timeoutMs } = parseQuery(c, GetQuery);
    const id = c.req.param('id');
    const states = waitFor?.split(',');
    return c.json(found(states ? await service.store.waitFor(id, (n) => states.includes(n.state), timeoutMs) : await service.store.get(id), id));
  });
  app.post('/negotiations/:id/terminate', async (c) => {
    const { reason } = await parseJsonBody(c, Reason);
    return c.json(found(await guarded(() => service.terminate(c.req.param('id'), reason)), c.req.param('id')));
  });
  app.post('/negotiations/:id/approve', async (c) => c.json(found(await guarded(() => service.approve(c.req.param('id'), true)), c.req.param('id'))));
  app.post('/negotiations/:id/reject', async (c) => {
    const { reason } = await parseJsonBody(c, Reason);
    return c.json(found(await guarded(() => service.approve(c.req.param('id'), false, reason)), c.req.param('id')));
  });
  app.post('/negotiations/:id/accept', async (c) => c.json(found(await guarded(() => service.accept(c.req.param('id'))), c.req.param('id'))));
  app.post('/negotiations/:id/verify', async (c) => c.json(found(await guarded(() => service.verifyAgreement(c.req.param('id'))), c.req.param('id'))));
  app.post('/negotiations/:id/counter', async (c) => {
    const { offer } = await parseJsonBody(c, Counter);
    return c.json(found(await guarded(() => service.counter(c.req.param('id'), offer)), c.req.param('id')));
  });
  app.get('/agreements', async (c) => c.json({ agreements: (await service.store.agreements()).map(agreementView) }));
  app.get('/agreements/:id', async (c) => {
    const agreement = await service.store.agreement(c.req.param('id'));
    if (!agreement) throw new HttpProblem(404, 'not_found', `No agreement ${c.req.param('id')}`);
    return c.json(agreementView(agreement));
  });
  return app;
}
