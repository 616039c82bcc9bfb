import { at } from './callbacks.ts';
import { idOf, message, readDsp, ScenarioFailure } from './jsonld.ts';
import { need, pause, scripted, stateIs, type ScenarioContext } from './scenario.ts';

const USE = [{ action: 'use' }];

/** The TCK as consumer of a negotiation with the connector under test (CN tests). */
function asConsumer(ctx: ScenarioContext, key: string) {
  const datasetId = need(ctx.ids, 'DATASETID', key);
  const offerId = need(ctx.ids, 'OFFERID', key);
  const consumerPid = `urn:uuid:${crypto.randomUUID()}`;
  let providerPid: string | undefined;
  const offer = { '@id': offerId, '@type': 'Offer', target: datasetId, permission: USE };
  const answer = (state?: string) => () =>
    providerPid ? (state ? { body: message('ContractNegotiation', { providerPid, consumerPid, state }) } : {}) : { status: 409, body: { error: 'Correlation id not set' } };
  const send = async (suffix: string, type: string, fields: Record<string, unknown> = {}, error = false) => {
    await pause();
    const body = message(type, { providerPid, consumerPid, ...fields });
    const url = `${ctx.dsp}/negotiations/${encodeURIComponent(providerPid!)}/${suffix}`;
    return error ? ctx.http.postError(url, body) : ctx.http.postJson(url, body);
  };
  return {
    async request() {
      const body = await ctx.http.postJson(`${ctx.dsp}/negotiations/request`, message('ContractRequestMessage', { consumerPid, offer, callbackAddress: ctx.callbackAddress }));
      providerPid = idOf(await readDsp(body, 'ContractNegotiation'), 'providerPid');
    },
    offer: () => ctx.callbacks.expect(at('negotiations', consumerPid, 'offers'), 'ContractOfferMessage', ctx.waitMs, answer('OFFERED')),
    agreement: () => ctx.callbacks.expect(at('negotiations', consumerPid, 'agreement'), 'ContractAgreementMessage', ctx.waitMs, answer()),
    async finalized() {
      const body = await ctx.callbacks.expect(at('negotiations', consumerPid, 'events'), 'ContractNegotiationEventMessage', ctx.waitMs, answer());
      if (body.eventType !== 'FINALIZED') throw new ScenarioFailure(`expected a FINALIZED event, got ${String(body.eventType)}`);
    },
    terminated: () => ctx.callbacks.expect(at('negotiations', consumerPid, 'termination'), 'ContractNegotiationTerminationMessage', ctx.waitMs, answer()),
    accept: (error = false) => send('events', 'ContractNegotiationEventMessage', { eventType: 'ACCEPTED' }, error),
    verify: (error = false) => send('agreement/verification', 'ContractAgreementVerificationMessage', {}, error),
    terminate: (error = false) => send('termination', 'ContractNegotiationTerminationMessage', { code: '1' }, error),
    // The TCK's counter-request: the same offer, with an assignee and no assigner.
    counterRequest: (error = false) => send('request', 'ContractRequestMessage', { offer: { ...offer, assignee: ctx.participantId } }, error),
    async state(expected: string) {
      await pause();
      await stateIs(ctx, `${ctx.dsp}/negotiations/${encodeURIComponent(providerPid!)}`, 'ContractNegotiation', expected);
    },
  };
}

/** A FINALIZED agreement for `datasetId` under `offerId`, negotiated as the TCK does in CN:01-04; returns its id. */
export async function negotiateAgreement(ctx: ScenarioContext, datasetId: string, offerId: string): Promise<string> {
  const n = asConsumer({ ...ctx, ids: { DATASETID: datasetId, OFFERID: offerId } }, 'AGREEMENT');
  const agreed = n.agreement();
  await n.request();
  const agreement = (await agreed).agreement as { '@id': string };
  const finalized = n.finalized();
  await n.verify();
  await finalized;
  return agreement['@id'];
}

export const CN_SCENARIOS = scripted('CN', asConsumer, {
  '01-01': ['Verify contract request, offer received, consumer terminated', '~offer request @offer terminate =TERMINATED'],
  '01-02': ['Verify contract request, offer received, consumer counter-offer, provider terminated', '~offer request @offer ~terminated counterRequest @terminated'],
  '01-03': [
    'Verify contract request, offer received, consumer agreed, provider agreement, consumer verified, provider finalized',
    '~offer request @offer ~agreement accept @agreement ~finalized verify @finalized',
  ],
  '01-04': ['Verify contract request, provider agreement, consumer verified, provider finalized', '~agreement request @agreement ~finalized verify @finalized'],
  '02-01': ['Verify contract request, provider terminated', '~terminated request @terminated'],
  '02-02': ['Verify contract request, consumer terminated', 'request =REQUESTED terminate =TERMINATED'],
  '02-03': ['Verify contract request, provider agreement, consumer terminated', '~agreement request @agreement terminate =TERMINATED'],
  '02-04': ['Verify contract request, offer received, consumer terminated', '~offer request @offer terminate =TERMINATED'],
  '02-05': ['Verify contract request, offer received, provider terminated', '~offer ~terminated request @offer @terminated'],
  '02-06': ['Verify contract request, offer received, consumer agreed, provider terminated', '~offer request @offer ~terminated accept @terminated'],
  '02-07': ['Verify contract request, provider agreement, consumer verified, provider terminated', '~agreement request @agreement ~terminated verify @terminated'],
  '03-01': [
    'Verify contract request, provider agreement, consumer verified, provider finalized, consumer terminate error',
    '~agreement request @agreement ~finalized verify @finalized =FINALIZED terminate!',
  ],
  '03-02': ['Verify contract request, offer received, consumer verify error', '~offer request @offer verify!'],
  '03-03': ['Verify contract request, offer received, consumer accepted, consumer verify error', '~offer request @offer accept verify!'],
  '03-04': ['Verify contract request, offer received, consumer counter-offer, consumer counter-offer error', '~offer request @offer counterRequest counterRequest!'],
});
