import { at } from './callbacks.ts';
import { idOf, message, readDsp, literalOf } from './jsonld.ts';
import { becomes, need, pause, scripted, type ScenarioContext } from './scenario.ts';

const TRANSFER_REQUEST = /\/transfers\/request$/;

/** The TCK as provider of a transfer the connector under test requests from its trigger (TP_C tests). */
function asProvider(ctx: ScenarioContext, key: string) {
  const agreementId = need(ctx.ids, 'AGREEMENTID', key);
  const format = ctx.ids.FORMAT ?? 'HTTP-PULL';
  const providerPid = `urn:uuid:${crypto.randomUUID()}`;
  let consumerPid: string | undefined;
  let callback: string | undefined;
  const expect = (suffix: string, type: string) => ctx.callbacks.expect(at('transfers', providerPid, suffix), type, ctx.waitMs);
  const send = async (suffix: string, type: string, fields: Record<string, unknown> = {}, error = false) => {
    await pause();
    const body = message(type, { providerPid, consumerPid, ...fields });
    const url = `${callback}/transfers/${encodeURIComponent(consumerPid!)}/${suffix}`;
    return error ? ctx.http.postError(url, body) : ctx.http.postJson(url, body);
  };
  return {
    async request() {
      const requested = ctx.callbacks.expect(TRANSFER_REQUEST, 'TransferRequestMessage', ctx.waitMs, (body) => ({
        body: message('TransferProcess', { providerPid, consumerPid: body.consumerPid, state: 'REQUESTED' }),
      }));
      await ctx.trigger('transfer', { providerId: ctx.participantId, agreementId, format, connectorAddress: ctx.callbackAddress });
      const node = await readDsp(await requested);
      consumerPid = idOf(node, 'consumerPid');
      callback = literalOf(node, 'callbackAddress').replace(/\/$/, '');
    },
    start: (error = false) => send('start', 'TransferStartMessage', { dataAddress: ctx.dataAddress }, error),
    complete: (error = false) => send('completion', 'TransferCompletionMessage', {}, error),
    suspend: (error = false) => send('suspension', 'TransferSuspensionMessage', { code: '1' }, error),
    terminate: (error = false) => send('termination', 'TransferTerminationMessage', { code: '1' }, error),
    completed: () => expect('completion', 'TransferCompletionMessage'),
    suspended: () => expect('suspension', 'TransferSuspensionMessage'),
    terminated: () => expect('termination', 'TransferTerminationMessage'),
    state: (expected: string) => becomes(ctx, `${callback}/transfers/${encodeURIComponent(consumerPid!)}`, 'TransferProcess', expected),
  };
}

export const TP_C_SCENARIOS = scripted('TP_C', asProvider, {
  '01-01': ['Verify transfer request, provider start, provider terminate', 'request start =STARTED terminate =TERMINATED'],
  '01-02': ['Verify transfer request, provider start, provider complete', 'request start =STARTED complete =COMPLETED'],
  '01-03': ['Verify transfer request, provider start, provider suspend, provider terminate', 'request start =STARTED suspend =SUSPENDED terminate =TERMINATED'],
  '01-04': [
    'Verify transfer request, provider start, provider suspend, provider start, provider complete',
    'request start =STARTED suspend =SUSPENDED start =STARTED complete =COMPLETED',
  ],
  '01-05': ['Verify transfer request, provider terminate', 'request terminate =TERMINATED'],
  '02-01': ['Verify transfer request, provider start, consumer terminate', 'request ~terminated start @terminated =TERMINATED'],
  '02-02': ['Verify transfer request, provider start, consumer complete', 'request ~completed start @completed =COMPLETED'],
  '02-03': ['Verify transfer request, provider start, consumer suspend, consumer terminate', 'request ~suspended ~terminated start @suspended @terminated =TERMINATED'],
  '02-05': ['Verify transfer request, consumer terminate', '~terminated request @terminated =TERMINATED'],
  '03-01': ['Verify transfer request, provider complete error', 'request complete! =REQUESTED'],
  '03-02': ['Verify transfer request, provider suspend error', 'request suspend! =REQUESTED'],
  '03-03': ['Verify transfer request, provider start, provider suspend, provider complete error', 'request start suspend complete! =SUSPENDED'],
  '03-04': ['Verify transfer request, provider start, provider terminate, provider start error', 'request start terminate start! =TERMINATED'],
  '03-05': ['Verify transfer request, provider start, provider terminate, provider suspend error', 'request start terminate suspend! =TERMINATED'],
  '03-06': ['Verify transfer request, provider start, provider terminate, provider complete error', 'request start terminate complete! =TERMINATED'],
});
