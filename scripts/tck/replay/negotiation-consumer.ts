import { at } from './callbacks.ts';
import { idOf, message, readDsp, ScenarioFailure, literalOf } from './jsonld.ts';
import { need, pause, scripted, stateIs, type ScenarioContext } from './scenario.ts';

const USE = [{ action: 'use' }];
const NEGOTIATION_REQUEST = /\/negotiations\/request$/;

/** The TCK as provider of a negotiation the connector under test starts from its trigger (CN_C tests). */
function asProvider(ctx: ScenarioContext, key: string) {
  const datasetId = need(ctx.ids, 'DATASETID', key);
  const offerId = `offer${datasetId}`;
  const providerPid = `urn:uuid:${crypto.randomUUID()}`;
  let consumerPid: string | undefined;
  let callback: string | undefined;
  const send = async (suffix: string, type: string, fields: Record<string, unknown> = {}, error = false) => {
    await pause();
    const body = message(type, { providerPid, consumerPid, ...fields });
    const url = `${callback}/negotiations/${encodeURIComponent(consumerPid!)}/${suffix}`;
    return error ? ctx.http.postError(url, body) : ctx.http.postJson(url, body);
  };
  const expect = (suffix: string, type: string) => ctx.callbacks.expect(at('negotiations', providerPid, suffix), type, ctx.waitMs);
  const offer = { '@id': offerId, '@type': 'Offer', target: datasetId, assigner: ctx.participantId, assignee: ctx.settings.agentId, permission: USE };
  return {
    /** Registers for the consumer's initial request before triggering it (a test like CN_C:02-02 expects more at once). */
    async start() {
      const requested = ctx.callbacks.expect(NEGOTIATION_REQUEST, 'ContractRequestMessage', ctx.waitMs, (body) => ({
        body: message('ContractNegotiation', { providerPid, consumerPid: body.consumerPid, state: 'REQUESTED' }),
      }));
      await ctx.trigger('negotiation', { providerId: ctx.participantId, offerId, datasetId, connectorAddress: ctx.callbackAddress });
      const body = await requested;
      const node = await readDsp(body);
      consumerPid = idOf(node, 'consumerPid');
      callback = literalOf(node, 'callbackAddress').replace(/\/$/, '');
      const requestedOffer = body.offer as { '@id'?: string; target?: string } | undefined;
      if (!requestedOffer?.['@id']?.startsWith('offer') || requestedOffer['@id'] !== offerId)
        throw new ScenarioFailure(`the request's offer @id is ${requestedOffer?.['@id']}, not ${offerId}`);
      if (requestedOffer.target !== datasetId) throw new ScenarioFailure(`the request's offer targets ${requestedOffer.target}, not ${datasetId}`);
    },
    offer: (error = false) => send('offers', 'ContractOfferMessage', { offer }, error),
    agreement: (error = false, agreementId = `urn:uuid:${crypto.randomUUID()}`) =>
      send(
        'agreement',
        'ContractAgreementMessage',
        {
          agreement: {
            '@id': agreementId,
            '@type': 'Agreement',
            target: datasetId,
            permission: USE,
            timestamp: new Date().toISOString(),
            assignee: ctx.settings.agentId,
            assigner: ctx.participantId,
          },
        },
        error,
      ),
    finalize: (error = false) => send('events', 'ContractNegotiationEventMessage', { eventType: 'FINALIZED' }, error),
    terminate: (error = false) => send('termination', 'ContractNegotiationTerminationMessage', { code: '1' }, error),
    async accepted() {
      const body = await expect('events', 'ContractNegotiationEventMessage');
      if (body.eventType !== 'ACCEPTED') throw new ScenarioFailure(`expected an ACCEPTED event, got ${String(body.eventType)}`);
    },
    verified: () => expect('agreement/verification', 'ContractAgreementVerificationMessage'),
    terminated: () => expect('termination', 'ContractNegotiationTerminationMessage'),
    async counterRequested() {
      const body = await expect('request', 'ContractRequestMessage');
      if (body.callbackAddress !== undefined) throw new ScenarioFailure('a counter-request carries no callbackAddress');
    },
    async state(expected: string) {
      await pause();
      await stateIs(ctx, `${callback}/negotiations/${encodeURIComponent(consumerPid!)}`, 'ContractNegotiation', expected);
    },
  };
}

/** Sends `send` while expecting `expected` to come back. */
const exchange = async (expected: Promise<unknown>, send: Promise<unknown>) => {
  await send;
  await expected;
};

/** A FINALIZED agreement the connector under test holds as consumer, negotiated as in CN_C:01-04; returns its id. */
export async function agreeAsProvider(ctx: ScenarioContext, datasetId: string): Promise<string> {
  const n = asProvider({ ...ctx, ids: { DATASETID: datasetId } }, 'AGREEMENT');
  const agreementId = `urn:uuid:${crypto.randomUUID()}`;
  await n.start();
  await exchange(n.verified(), n.agreement(false, agreementId));
  await n.finalize();
  await n.state('FINALIZED');
  return agreementId;
}
export const CN_C_SCENARIOS = scripted('CN_C', asProvider, {
  '01-01': [
    'Verify contract request, offer received, consumer accepted, provider agreement, consumer verified, provider finalized',
    'start ~accepted offer @accepted ~verified agreement @verified finalize =FINALIZED',
  ],
  '01-02': ['Verify contract request, offer received, consumer counter-request, provider terminated', 'start ~counterRequested offer @counterRequested terminate =TERMINATED'],
  '01-03': ['Verify contract request, offer received, consumer terminated', 'start ~terminated offer @terminated =TERMINATED'],
  '01-04': ['Verify contract request, provider agreement, consumer verified, provider finalized', 'start ~verified agreement @verified finalize =FINALIZED'],
  '02-01': ['Verify contract request, provider terminated', 'start terminate =TERMINATED'],
  '02-02': ['Verify contract request, consumer terminated', '~terminated start @terminated =TERMINATED'],
  '02-03': ['Verify contract request, provider agreement, consumer terminated', 'start ~terminated agreement @terminated =TERMINATED'],
  '02-04': ['Verify contract request, offer received, provider terminated', 'start offer =OFFERED terminate =TERMINATED'],
  '02-05': ['Verify contract request, offer received, consumer accepted, provider terminated', 'start ~accepted offer @accepted terminate =TERMINATED'],
  '02-06': ['Verify contract request, provider agreement, consumer verified, provider terminated', 'start ~verified agreement @verified terminate =TERMINATED'],
  '03-01': ['Verify contract request, provider finalized error', 'start finalize! =REQUESTED'],
  '03-02': ['Verify contract request, offer received, provider agreement error', 'start offer =OFFERED agreement! =OFFERED'],
  '03-03': ['Verify contract request, offer received, provider finalized error', 'start offer =OFFERED finalize! =OFFERED'],
  '03-04': ['Verify contract request, offer received, consumer accepted, provider finalized error', 'start ~accepted offer @accepted finalize! =ACCEPTED'],
  '03-05': ['Verify contract request, offer received, consumer accepted, provider offer error', 'start ~accepted offer @accepted offer! =ACCEPTED'],
  '03-06': [
    'Verify contract request, offer received, consumer accepted, provider agreement, provider finalized error',
    'start ~accepted offer @accepted agreement =AGREED finalize! =AGREED',
  ],
});
