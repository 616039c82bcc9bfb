import { at } from './callbacks.ts';
import { idOf, message, readDsp } from './jsonld.ts';
import { becomes, need, pause, scripted, type ScenarioContext } from './scenario.ts';

/** The TCK as consumer of a transfer under a seeded agreement (TP tests). */
function asConsumer(ctx: ScenarioContext, key: string) {
  const agreementId = need(ctx.ids, 'AGREEMENTID', key);
  const format = ctx.ids.FORMAT ?? 'HTTP-PULL';
  const consumerPid = `urn:uuid:${crypto.randomUUID()}`;
  let providerPid: string | undefined;
  const answer = () => (providerPid ? {} : { status: 409, body: { error: 'Correlation id not set' } });
  const expect = (suffix: string, type: string) => ctx.callbacks.expect(at('transfers', consumerPid, suffix), type, ctx.waitMs, answer);
  const send = async (suffix: string, type: string, fields: Record<string, unknown> = {}, error = false) => {
    await pause();
    const body = message(type, { providerPid, consumerPid, ...fields });
    const url = `${ctx.dsp}/transfers/${encodeURIComponent(providerPid!)}/${suffix}`;
    return error ? ctx.http.postError(url, body) : ctx.http.postJson(url, body);
  };
  return {
    async request() {
      const body = await ctx.http.postJson(
        `${ctx.dsp}/transfers/request`,
        message('TransferRequestMessage', { consumerPid, agreementId, format, callbackAddress: ctx.callbackAddress }),
      );
      providerPid = idOf(await readDsp(body, 'TransferProcess'), 'providerPid');
    },
    started: () => expect('start', 'TransferStartMessage'),
    completed: () => expect('completion', 'TransferCompletionMessage'),
    suspended: () => expect('suspension', 'TransferSuspensionMessage'),
    terminated: () => expect('termination', 'TransferTerminationMessage'),
    start: (error = false) => send('start', 'TransferStartMessage', {}, error),
    complete: (error = false) => send('completion', 'TransferCompletionMessage', {}, error),
    suspend: (error = false) => send('suspension', 'TransferSuspensionMessage', { code: '1' }, error),
    terminate: (error = false) => send('termination', 'TransferTerminationMessage', { code: '1' }, error),
    state: (expected: string) => becomes(ctx, `${ctx.dsp}/transfers/${encodeURIComponent(providerPid!)}`, 'TransferProcess', expected),
  };
}

export const TP_SCENARIOS = scripted('TP', asConsumer, {
  '01-01': ['Verify transfer request, transfer start, provider terminate', '~terminated ~started request @started @terminated =TERMINATED'],
  '01-02': ['Verify transfer request, transfer start, provider complete', '~completed ~started request @started @completed =COMPLETED'],
  '01-03': ['Verify transfer request, transfer start, provider suspend, provider terminate', '~suspended ~terminated ~started request @started @suspended @terminated =TERMINATED'],
  '01-04': [
    'Verify transfer request, transfer start, provider suspend, provider start, provider complete',
    '~suspended ~completed ~started request @started ~started @suspended @started @completed =COMPLETED',
  ],
  '01-05': ['Verify transfer request, provider terminate', '~terminated request @terminated =TERMINATED'],
  '02-01': ['Verify transfer request, transfer start, consumer terminate', '~started request @started =STARTED terminate =TERMINATED'],
  '02-02': ['Verify transfer request, transfer start, consumer complete', '~started request @started =STARTED complete =COMPLETED'],
  '02-03': ['Verify transfer request, transfer start, consumer suspend, consumer terminate', '~started request @started suspend =SUSPENDED terminate =TERMINATED'],
  '02-05': ['Verify transfer request, consumer terminate', 'request =REQUESTED terminate =TERMINATED'],
  '03-01': ['Verify transfer request, consumer complete error', 'request =REQUESTED complete! =REQUESTED'],
  '03-02': ['Verify transfer request, consumer suspend error', 'request suspend! =REQUESTED'],
  '03-03': ['Verify transfer request, transfer start, consumer suspend, consumer complete error', '~started request @started suspend complete! =SUSPENDED'],
  '03-04': ['Verify transfer request, transfer start, consumer terminate, consumer start error', '~started request @started terminate start!'],
  '03-05': ['Verify transfer request, transfer start, consumer terminate, consumer suspend error', '~started request @started terminate suspend!'],
  '03-06': ['Verify transfer request, transfer start, consumer terminate, consumer complete error', '~started request @started terminate complete!'],
});
