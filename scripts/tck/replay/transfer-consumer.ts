import { at } from './callbacks.ts';
import { idOf, message, readDsp, literalOf } from './jsonld.ts';
import { becomes, need, pause, scenarios, type ScenarioContext } from './scenario.ts';

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

type Provider = ReturnType<typeof asProvider>;
const tpc = (run: (t: Provider) => Promise<void>) => (ctx: ScenarioContext, key: string) => run(asProvider(ctx, key));

export const TP_C_SCENARIOS = scenarios('TP_C', {
  '01-01': [
    'Verify transfer request, provider start, provider terminate',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.state('STARTED');
      await t.terminate();
      await t.state('TERMINATED');
    }),
  ],
  '01-02': [
    'Verify transfer request, provider start, provider complete',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.state('STARTED');
      await t.complete();
      await t.state('COMPLETED');
    }),
  ],
  '01-03': [
    'Verify transfer request, provider start, provider suspend, provider terminate',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.state('STARTED');
      await t.suspend();
      await t.state('SUSPENDED');
      await t.terminate();
      await t.state('TERMINATED');
    }),
  ],
  '01-04': [
    'Verify transfer request, provider start, provider suspend, provider start, provider complete',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.state('STARTED');
      await t.suspend();
      await t.state('SUSPENDED');
      await t.start();
      await t.state('STARTED');
      await t.complete();
      await t.state('COMPLETED');
    }),
  ],
  '01-05': [
    'Verify transfer request, provider terminate',
    tpc(async (t) => {
      await t.request();
      await t.terminate();
      await t.state('TERMINATED');
    }),
  ],
  '02-01': [
    'Verify transfer request, provider start, consumer terminate',
    tpc(async (t) => {
      await t.request();
      const terminated = t.terminated();
      await t.start();
      await terminated;
      await t.state('TERMINATED');
    }),
  ],
  '02-02': [
    'Verify transfer request, provider start, consumer complete',
    tpc(async (t) => {
      await t.request();
      const completed = t.completed();
      await t.start();
      await completed;
      await t.state('COMPLETED');
    }),
  ],
  '02-03': [
    'Verify transfer request, provider start, consumer suspend, consumer terminate',
    tpc(async (t) => {
      await t.request();
      const suspended = t.suspended();
      const terminated = t.terminated();
      await t.start();
      await suspended;
      await terminated;
      await t.state('TERMINATED');
    }),
  ],
  '02-05': [
    'Verify transfer request, consumer terminate',
    tpc(async (t) => {
      const terminated = t.terminated();
      await t.request();
      await terminated;
      await t.state('TERMINATED');
    }),
  ],
  '03-01': [
    'Verify transfer request, provider complete error',
    tpc(async (t) => {
      await t.request();
      await t.complete(true);
      await t.state('REQUESTED');
    }),
  ],
  '03-02': [
    'Verify transfer request, provider suspend error',
    tpc(async (t) => {
      await t.request();
      await t.suspend(true);
      await t.state('REQUESTED');
    }),
  ],
  '03-03': [
    'Verify transfer request, provider start, provider suspend, provider complete error',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.suspend();
      await t.complete(true);
      await t.state('SUSPENDED');
    }),
  ],
  '03-04': [
    'Verify transfer request, provider start, provider terminate, provider start error',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.terminate();
      await t.start(true);
      await t.state('TERMINATED');
    }),
  ],
  '03-05': [
    'Verify transfer request, provider start, provider terminate, provider suspend error',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.terminate();
      await t.suspend(true);
      await t.state('TERMINATED');
    }),
  ],
  '03-06': [
    'Verify transfer request, provider start, provider terminate, provider complete error',
    tpc(async (t) => {
      await t.request();
      await t.start();
      await t.terminate();
      await t.complete(true);
      await t.state('TERMINATED');
    }),
  ],
});
