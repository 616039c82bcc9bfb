import { beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { dspSchemaErrors, expectDspError } from '../support/dsp-schemas.ts';
import { exampleDataset } from '../catalog/support.ts';
import {
  transferCompletionMessage,
  transferRequestMessage,
  transferStartMessage,
  transferSuspensionMessage,
  transferTerminationMessage,
} from '../../contracts/transfer/messages.ts';
import { agreementFor, researchOffer, startTransfer, waitForTransfer } from './support.ts';

const ERROR_SCHEMA = 'transfer/transfer-error-schema.json';

describe('TransferError paths (nothing changes)', () => {
  let trio: Trio;
  let dsp: string;
  let agreementId: string;
  const send = (path: string, body?: unknown, method: 'GET' | 'POST' = 'POST', from = trio.institute) =>
    from.ctx.dspFetch({ url: `${dsp}${path}`, audienceDid: trio.hospital.did, method, body });
  const count = async () =>
    Number(
      (
        await trio.hospital.ctx.database.db
          .selectFrom('transfers')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const stateOf = async (pid: string) => (await jsonOf(await send(`/transfers/${pid}`, undefined, 'GET'))).state;
  const expectError = (response: Response, status: number, reason: RegExp) => expectDspError(response, status, 'TransferError', ERROR_SCHEMA, reason);

  beforeAll(async () => {
    trio = await startTrio();
    await onboard(trio);
    dsp = `${trio.hospital.url}/dsp/2025-1`;
    agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [researchOffer()] }));
  });

  it('401 without a peer token, on every endpoint', async () => {
    for (const path of [
      '/transfers/request',
      '/transfers/urn:uuid:x/start',
      '/transfers/urn:uuid:x/completion',
      '/transfers/urn:uuid:x/suspension',
      '/transfers/urn:uuid:x/termination',
    ]) {
      await expectError(await fetch(`${dsp}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 401, /self-issued ID token is required/);
    }
    await expectError(await fetch(`${dsp}/transfers/urn:uuid:x`), 401, /self-issued ID token is required/);
  });

  it('404 for a pid that never existed, echoing the pids it was given', async () => {
    await expectError(await send('/transfers/urn:uuid:nothing', undefined, 'GET'), 404, /No transfer process urn:uuid:nothing/);
    const body = await expectError(
      await send('/transfers/urn:uuid:nothing/completion', transferCompletionMessage({ providerPid: 'urn:uuid:nothing', consumerPid: 'urn:uuid:c' })),
      404,
      /No transfer process/,
    );
    expect(body).toMatchObject({ providerPid: 'urn:uuid:nothing', consumerPid: 'urn:uuid:c' });
  });

  it('400 for malformed bodies, naming what is wrong, and nothing is stored', async () => {
    const before = await count();
    const callbackAddress = `${trio.institute.url}/dsp/2025-1`;
    const notJson = await trio.institute.ctx.dspFetch({ url: `${dsp}/transfers/request`, audienceDid: trio.hospital.did, method: 'POST', body: undefined });
    expect(notJson.status).toBe(400);
    await expectError(
      await send('/transfers/request', { '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'TransferRequestMessage', consumerPid: 'urn:uuid:c1' }),
      400,
      /agreementId|format|callbackAddress/,
    );
    await expectError(
      await send('/transfers/request', {
        ...transferRequestMessage({ consumerPid: 'urn:uuid:c2', agreementId, format: 'HttpData-PULL', callbackAddress }),
        '@type': 'TransferStartMessage',
      }),
      400,
      /TransferRequestMessage/,
    );
    await expectError(
      await send('/transfers/request', { ...transferRequestMessage({ consumerPid: 'urn:uuid:c3', agreementId, format: 'HttpData-PULL', callbackAddress }), format: 'FTP-PULL' }),
      400,
      /format must be one of/,
    );
    await expectError(
      await send('/transfers/request', transferRequestMessage({ consumerPid: 'urn:uuid:c4', agreementId, format: 'HttpData-PUSH', callbackAddress })),
      400,
      /push transfer needs a dataAddress/,
    );
    await expectError(
      await send('/transfers/request', transferRequestMessage({ consumerPid: 'urn:uuid:c5', agreementId: 'urn:uuid:no-agreement', format: 'HttpData-PULL', callbackAddress })),
      400,
      /urn:uuid:no-agreement is not a finalized agreement/,
    );
    expect(await count()).toBe(before);
  });

  it("another participant cannot use someone else's agreement", async () => {
    const before = await count();
    const request = transferRequestMessage({ consumerPid: 'urn:uuid:c6', agreementId, format: 'HttpData-PULL', callbackAddress: `${trio.authority.url}/dsp/2025-1` });
    await expectError(await send('/transfers/request', request, 'POST', trio.authority), 400, /is not a finalized agreement/);
    expect(await count()).toBe(before);
  });

  describe('on a completed transfer', () => {
    let consumerPid: string;
    let providerPid: string;
    beforeAll(async () => {
      const started = await startTransfer(trio.institute, agreementId);
      const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED']);
      expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
      consumerPid = started.id;
      providerPid = (
        await jsonOf(
          await send(
            `/transfers/${(await trio.hospital.ctx.database.db.selectFrom('transfers').select('id').where('consumer_pid', '=', consumerPid).executeTakeFirstOrThrow()).id}`,
            undefined,
            'GET',
          ),
        )
      ).providerPid;
      await waitForTransfer(trio.hospital, providerPid, ['COMPLETED']);
    });

    it('GET answers the TransferProcess to its counterparty only', async () => {
      const body = await jsonOf(await send(`/transfers/${providerPid}`, undefined, 'GET'));
      expect(dspSchemaErrors('transfer/transfer-process-schema.json', body)).toEqual([]);
      expect(body).toMatchObject({ '@type': 'TransferProcess', providerPid, consumerPid, state: 'COMPLETED' });
      await expectError(await send(`/transfers/${providerPid}`, undefined, 'GET', trio.authority), 404, /No transfer process/);
    });

    it('a message that does not fit the state is a 400 naming both pids, and the state stays', async () => {
      const pids = { providerPid, consumerPid };
      for (const [path, message] of [
        ['suspension', transferSuspensionMessage({ ...pids, code: 'pause', reason: ['later'] })],
        ['termination', transferTerminationMessage({ ...pids, code: 'stop', reason: ['late'] })],
        ['start', transferStartMessage(pids)],
      ] as const) {
        const body = await expectError(await send(`/transfers/${providerPid}/${path}`, message), 400, /not allowed|COMPLETED/);
        expect(body).toMatchObject(pids);
      }
      expect(await stateOf(providerPid)).toBe('COMPLETED');
    });

    it('a repeated message is answered the same way and changes nothing', async () => {
      const before = await count();
      const repeat = transferRequestMessage({ consumerPid, agreementId, format: 'HttpData-PULL', callbackAddress: `${trio.institute.url}/dsp/2025-1` });
      const first = await send('/transfers/request', repeat);
      const second = await send('/transfers/request', repeat);
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(await jsonOf(first)).toEqual(await jsonOf(second));
      const completion = transferCompletionMessage({ providerPid, consumerPid });
      expect((await send(`/transfers/${providerPid}/completion`, completion)).status).toBe(200);
      expect((await send(`/transfers/${providerPid}/completion`, completion)).status).toBe(200);
      expect(await count()).toBe(before);
      expect(await stateOf(providerPid)).toBe('COMPLETED');
    });
  });
});
