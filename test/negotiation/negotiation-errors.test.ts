import { beforeAll, describe, expect, it } from 'vitest';
import { jsonOf } from '../support/http.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { dspSchemaErrors, expectDspError } from '../support/dsp-schemas.ts';
import { contractRequestMessage, negotiationEventMessage, terminationMessage } from '../../contracts/negotiation/messages.ts';
import { providerPidKnownTo, publishOffer, researchOffer, startNegotiation, waitForState } from './support.ts';

const DATASET = 'urn:uuid:some-dataset';
const ERROR_SCHEMA = 'negotiation/contract-negotiation-error-schema.json';

describe('ContractNegotiationError paths (nothing changes)', () => {
  let trio: Trio;
  let dsp: string;
  const send = (path: string, body?: unknown, method: 'GET' | 'POST' = 'POST') =>
    trio.institute.ctx.dspFetch({ url: `${dsp}${path}`, audienceDid: trio.hospital.did, method, body });
  const count = async () =>
    Number(
      (
        await trio.hospital.ctx.database.db
          .selectFrom('negotiations')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const expectError = (response: Response, status: number, reason: RegExp) => expectDspError(response, status, 'ContractNegotiationError', ERROR_SCHEMA, reason);

  beforeAll(async () => {
    trio = await startTrio();
    await onboard(trio);
    dsp = `${trio.hospital.url}/dsp/2025-1`;
  });

  it('401 without a token', async () => {
    const response = await fetch(`${dsp}/negotiations/request`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await expectError(response, 401, /self-issued ID token is required/);
  });

  it('404 for a pid that never existed', async () => {
    await expectError(await send('/negotiations/urn:uuid:nothing', undefined, 'GET'), 404, /No negotiation urn:uuid:nothing/);
    await expectError(
      await send('/negotiations/urn:uuid:nothing/events', negotiationEventMessage({ providerPid: 'urn:uuid:nothing', consumerPid: 'urn:uuid:c', eventType: 'ACCEPTED' })),
      404,
      /No negotiation/,
    );
  });

  it('400 for a malformed body, naming the field, and nothing is stored', async () => {
    const before = await count();
    const body = await expectError(
      await send('/negotiations/request', { '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'], '@type': 'ContractRequestMessage', consumerPid: 'urn:uuid:c1' }),
      400,
      /offer/,
    );
    expect(body.consumerPid).toBe('');
    await expectError(
      await send('/negotiations/request', {
        ...contractRequestMessage({ consumerPid: 'urn:uuid:c2', offer: { ...researchOffer(), target: DATASET } }),
        '@context': ['https://example.org/other'],
      }),
      400,
      /@context must start with/,
    );
    const noCallback = contractRequestMessage({ consumerPid: 'urn:uuid:c3', offer: { ...researchOffer(), target: DATASET } }) as Record<string, unknown>;
    delete noCallback.callbackAddress;
    await expectError(await send('/negotiations/request', noCallback), 400, /needs a callbackAddress/);
    expect(await count()).toBe(before);
  });

  it('an offer without any rule is malformed', async () => {
    await expectError(
      await send(
        '/negotiations/request',
        contractRequestMessage({
          consumerPid: 'urn:uuid:c4',
          offer: { '@type': 'Offer', '@id': 'o', target: DATASET } as never,
          callbackAddress: `${trio.institute.url}/dsp/2025-1`,
        }),
      ),
      400,
      /at least one permission or prohibition/,
    );
  });

  describe('on a finalized negotiation', () => {
    let consumer: any;
    let provider: any;
    beforeAll(async () => {
      const offer = await publishOffer(trio.hospital, researchOffer());
      const started = await startNegotiation(trio.institute, trio.hospital, offer);
      consumer = await waitForState(trio.institute, started.id, ['FINALIZED']);
      provider = await waitForState(trio.hospital, consumer.providerPid, ['FINALIZED']);
    });

    it('a message in the wrong state is a 400 naming both pids, and the state stays', async () => {
      const pids = { providerPid: provider.id, consumerPid: consumer.id };
      const body = await expectError(
        await send(`/negotiations/${provider.id}/events`, negotiationEventMessage({ ...pids, eventType: 'ACCEPTED' })),
        400,
        /not allowed in state FINALIZED/,
      );
      expect(body).toMatchObject(pids);
      await expectError(
        await send(`/negotiations/${provider.id}/termination`, terminationMessage({ ...pids, code: 'x', reason: ['late'] })),
        400,
        /not allowed in state FINALIZED/,
      );
      expect((await jsonOf(await send(`/negotiations/${provider.id}`, undefined, 'GET'))).state).toBe('FINALIZED');
    });

    it('GET answers the ContractNegotiation for its counterparty only', async () => {
      const response = await send(`/negotiations/${provider.id}`, undefined, 'GET');
      const body = await jsonOf(response);
      expect(dspSchemaErrors('negotiation/contract-negotiation-schema.json', body)).toEqual([]);
      expect(body).toMatchObject({ providerPid: provider.id, consumerPid: consumer.id, state: 'FINALIZED' });
      const stranger = await trio.authority.ctx.dspFetch({ url: `${dsp}/negotiations/${provider.id}`, audienceDid: trio.hospital.did, method: 'GET' });
      await expectError(stranger, 404, /No negotiation/);
    });

    it('a repeated initial request is answered the same way and creates nothing', async () => {
      const before = await count();
      const again = await send(
        '/negotiations/request',
        contractRequestMessage({ consumerPid: consumer.id, offer: { ...researchOffer(), target: DATASET }, callbackAddress: `${trio.institute.url}/dsp/2025-1` }),
      );
      expect(again.status).toBe(201);
      expect(await jsonOf(again)).toMatchObject({ providerPid: provider.id, consumerPid: consumer.id, state: 'FINALIZED' });
      expect(await count()).toBe(before);
    });
  });

  it('a terminated negotiation stays addressable: GET works, further messages get 400', async () => {
    const offer = await publishOffer(trio.hospital, researchOffer(), { requiresApproval: true });
    const started = await startNegotiation(trio.institute, trio.hospital, offer);
    const providerPid = await providerPidKnownTo(trio.institute, started.id);
    const pids = { providerPid, consumerPid: started.id };
    expect((await send(`/negotiations/${providerPid}/termination`, terminationMessage({ ...pids, code: 'cancel', reason: ['changed our mind'] }))).status).toBe(200);
    expect((await send(`/negotiations/${providerPid}/termination`, terminationMessage({ ...pids, code: 'cancel', reason: ['changed our mind'] }))).status).toBe(200);
    expect((await jsonOf(await send(`/negotiations/${providerPid}`, undefined, 'GET'))).state).toBe('TERMINATED');
    await expectError(await send(`/negotiations/${providerPid}/events`, negotiationEventMessage({ ...pids, eventType: 'ACCEPTED' })), 400, /not allowed in state TERMINATED/);
  });
});
