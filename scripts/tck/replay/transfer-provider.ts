import { at } from './callbacks.ts';
import { idOf, message, readDsp } from './jsonld.ts';
import { becomes, need, pause, scenarios, type ScenarioContext } from './scenario.ts';

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

type Consumer = ReturnType<typeof asConsumer>;
const tp = (run: (t: Consumer) => Promise<void>) => (ctx: ScenarioContext, key: string) => run(asConsumer(ctx, key));
/** Requests the transfer and waits for the provider's start. */
const requestStarted = async (t: Consumer) => {
  const started = t.started();
  await t.request();
  await started;
};

export const TP_SCENARIOS = scenarios('TP', {
  '01-01': [
    'Verify transfer request, transfer start, provider terminate',
    tp(async (t) => {
      const terminated = t.terminated();
      await requestStarted(t);
      await terminated;
      await t.state('TERMINATED');
    }),
  ],
  '01-02': [
    'Verify transfer request, transfer start, provider complete',
    tp(async (t) => {
      const completed = t.completed();
      await requestStarted(t);
      await completed;
      await t.state('COMPLETED');
    }),
  ],
  '01-03': [
    'Verify transfer request, transfer start, provider suspend, provider terminate',
    tp(async (t) => {
      const suspended = t.suspended();
      const terminated = t.terminated();
      await requestStarted(t);
      await suspended;
      await terminated;
      await t.state('TERMINATED');
    }),
  ],
  '01-04': [
    'Verify transfer request, transfer start, provider suspend, provider start, provider complete',
    tp(async (t) => {
      const suspended = t.suspended();
      const completed = t.completed();
      await requestStarted(t);
      const restarted = t.started();
      await suspended;
      await restarted;
      await completed;
      await t.state('COMPLETED');
    }),
  ],
  '01-05': [
    'Verify transfer request, provider terminate',
    tp(async (t) => {
      const terminated = t.terminated();
      await t.request();
      await terminated;
      await t.state('TERMINATED');
    }),
  ],
  '02-01': [
    'Verify transfer request, transfer start, consumer terminate',
    tp(async (t) => {
      await requestStarted(t);
      await t.state('STARTED');
      await t.terminate();
      await t.state('TERMINATED');
    }),
  ],
  '02-02': [
    'Verify transfer request, transfer start, consumer complete',
    tp(async (t) => {
      await requestStarted(t);
      await t.state('STARTED');
      await t.complete();
      await t.state('COMPLETED');
    }),
  ],
  '02-03': [
    'Verify transfer request, transfer start, consumer suspend, consumer terminate',
    tp(async (t) => {
      await requestStarted(t);
      await t.suspend();
      await t.state('SUSPENDED');
      await t.terminate();
      await t.state('TERMINATED');
    }),
  ],
  '02-05': [
    'Verify transfer request, consumer terminate',
    tp(async (t) => {
      await t.request();
      await t.state('REQUESTED');
      await t.terminate();
      await t.state('TERMINATED');
    }),
  ],
  '03-01': [
    'Verify transfer request, consumer complete error',
    tp(async (t) => {
      await t.request();
      await t.state('REQUESTED');
      await t.complete(true);
      await t.state('REQUESTED');
    }),
  ],
  '03-02': [
    'Verify transfer request, consumer suspend error',
    tp(async (t) => {
      await t.request();
      await t.suspend(true);
      await t.state('REQUESTED');
    }),
  ],
  '03-03': [
    'Verify transfer request, transfer start, consumer suspend, consumer complete error',
    tp(async (t) => {
      await requestStarted(t);
      await t.suspend();
      await t.complete(true);
      await t.state('SUSPENDED');
    }),
  ],
  '03-04': [
    'Verify transfer request, transfer start, consumer terminate, consumer start error',
    tp(async (t) => {
      await requestStarted(t);
      await t.terminate();
      await t.start(true);
    }),
  ],
  '03-05': [
    'Verify transfer request, transfer start, consumer terminate, consumer suspend error',
    tp(async (t) => {
      await requestStarted(t);
      await t.terminate();
      await t.suspend(true);
    }),
  ],
  '03-06': [
    'Verify transfer request, transfer start, consumer terminate, consumer complete error',
    tp(async (t) => {
      await requestStarted(t);
      await t.terminate();
      await t.complete(true);
    }),
  ],
});
