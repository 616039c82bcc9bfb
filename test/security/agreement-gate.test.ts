import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit, onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { agreementFor, researchOffer, startTransfer, waitForTransfer } from '../transfer/support.ts';
import { publishOffer, startNegotiation, waitForState } from '../negotiation/support.ts';
import { transferRequestMessage } from '../../contracts/transfer/messages.ts';
import { dspAddressOf } from '../../connector/http/dsp-path.ts';

describe('data only under a FINALIZED agreement that still stands (issue 15, breaks 4 and 5)', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio();
    await onboard(trio);
  });

  it('a consumer that never counter-signs (negotiation left in AGREED) gets no data: the provider refuses its transfer request', async () => {
    const stalling = await startTestConnector({ role: 'research-institute', trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['*'] }], reviewAgreements: true });
    await admit(trio.authority, stalling, 'research-institute');
    await grantPermit(trio.authority, stalling);
    await collectCredentials(stalling, trio.authority);
    const offer = await publishOffer(trio.hospital, researchOffer());
    const started = await startNegotiation(stalling, trio.hospital, offer);
    const agreed = await waitForState(stalling, started.id, ['AGREED', 'TERMINATED']);
    expect(agreed.state).toBe('AGREED');

    // Its own management API will not start one either.
    const own = await managementFetch(stalling, '/transfers', { method: 'POST', body: JSON.stringify({ agreementId: agreed.agreementId, format: 'HttpData-PULL' }) });
    expect(own.status).toBe(409);
    // A consumer that bypasses its own connector and asks the provider directly is refused, and nothing starts.
    const body = transferRequestMessage({
      consumerPid: `urn:uuid:${crypto.randomUUID()}`,
      agreementId: agreed.agreementId,
      format: 'HttpData-PULL',
      callbackAddress: dspAddressOf(stalling.url),
    });
    const direct = await stalling.ctx.dspFetch({ url: `${dspAddressOf(trio.hospital.url)}/transfers/request`, audienceDid: trio.hospital.did, body });
    expect(direct.status).toBe(400);
    const error = (await direct.json()) as { '@type': string; reason: string[] };
    expect(error['@type']).toBe('TransferError');
    expect(error.reason.join(' ')).toMatch(/not a finalized agreement/);
    const provider = (await jsonOf(await managementFetch(trio.hospital, `/transfers?agreementId=${encodeURIComponent(agreed.agreementId)}`))).transfers;
    expect(provider).toEqual([]);

    // Once the negotiation is terminated (here by the provider's operator; a time-out does the same), the agreement stays withdrawn.
    const negotiation = (await jsonOf(await managementFetch(trio.hospital, '/negotiations'))).negotiations.find((n: any) => n.agreementId === agreed.agreementId);
    const terminated = await managementFetch(trio.hospital, `/negotiations/${encodeURIComponent(negotiation.id)}/terminate`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'no counter-signature' }),
    });
    expect(terminated.status, await terminated.clone().text()).toBeLessThan(300);
    await waitForState(stalling, started.id, ['TERMINATED']);
    const after = await stalling.ctx.dspFetch({
      url: `${dspAddressOf(trio.hospital.url)}/transfers/request`,
      audienceDid: trio.hospital.did,
      body: { ...body, consumerPid: `urn:uuid:${crypto.randomUUID()}` },
    });
    expect(after.status).toBe(400);
    expect(((await after.json()) as { reason: string[] }).reason.join(' ')).toMatch(/not a finalized agreement/);
  });

  it('8 concurrent transfer requests under an agreement allowing 2: exactly 2 complete, 6 are refused with the reason', async () => {
    const offer = researchOffer();
    (offer.permission![0] as any).constraint.push({ leftOperand: 'odrl:count', operator: 'lteq', rightOperand: '2' });
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [offer] }));
    const started = await Promise.all(Array.from({ length: 8 }, () => startTransfer(trio.institute, agreementId)));
    const ended = await Promise.all(started.map((t) => waitForTransfer(trio.institute, t.id, ['COMPLETED', 'TERMINATED'], 30_000)));
    expect(ended.filter((t) => t.state === 'COMPLETED')).toHaveLength(2);
    const refused = ended.filter((t) => t.state === 'TERMINATED');
    expect(refused).toHaveLength(6);
    for (const t of refused) expect(t.reasons.join(' ')).toMatch(/number of transfers/);
    const agreement = await jsonOf(await managementFetch(trio.hospital, `/agreements/${encodeURIComponent(agreementId)}`));
    expect(agreement.transferCount).toBe(2);
  }, 60_000);
});

describe('no bearer secret at rest (issue 15, break 6)', () => {
  it('once a start message is sent, the pull token is gone from the outbox; the database file is 0600', async () => {
    const trio = await startTrio({ hospital: { database: 'sqlite' } });
    await onboard(trio);
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [researchOffer()] }));
    const done = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
    expect(done.state).toBe('COMPLETED');
    const rows = await trio.hospital.ctx.database.db.selectFrom('outbox').select(['message_type', 'body', 'state']).where('kind', '=', 'transfer').execute();
    const start = rows.find((r) => r.message_type === 'TransferStartMessage')!;
    expect(start.state).toBe('sent');
    const property = JSON.parse(start.body).dataAddress.endpointProperties.find((p: { name: string }) => p.name === 'authorization');
    expect(property.value).toBe('(removed once sent)');
    expect(statSync(join(trio.hospital.ctx.config.dataDir, 'connector.db')).mode & 0o777).toBe(0o600);
  });
});
