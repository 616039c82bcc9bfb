import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dashboardPage, managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { dspSchemaErrors } from '../support/dsp-schemas.ts';
import { onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset } from '../catalog/support.ts';
import { payloadOf, payloadReadable } from '../../connector/data-plane/payload.ts';
import { agreementFor, researchOffer, startTransfer, waitForTransfer } from './support.ts';

const SCHEMA_OF: Record<string, string> = {
  TransferRequestMessage: 'transfer/transfer-request-message-schema.json',
  TransferStartMessage: 'transfer/transfer-start-message-schema.json',
  TransferCompletionMessage: 'transfer/transfer-completion-message-schema.json',
  TransferTerminationMessage: 'transfer/transfer-termination-message-schema.json',
  TransferSuspensionMessage: 'transfer/transfer-suspension-message-schema.json',
};

async function sha256Of(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('base64');
}

describe('transfers across live connectors', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio({ hospital: { enforcementIntervalSeconds: 1 }, institute: { enforcementIntervalSeconds: 1 } });
    await onboard(trio);
  });

  it('pulls a folder (as a tar archive) peer to peer, digest-checked, and serves it to the researcher', async () => {
    const dataset = exampleDataset(trio.hospital, { offers: [researchOffer()] });
    writeFileSync(join(trio.hospital.ctx.config.dataRoot, 'diabetes-cohort', 'Observation.ndjson'), randomBytes(3_000_000).toString('base64'));
    const agreementId = await agreementFor(trio, dataset);
    const started = await startTransfer(trio.institute, agreementId);
    expect(started).toMatchObject({ role: 'consumer', state: 'REQUESTED', format: 'HttpData-PULL' });
    const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED']);
    expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
    const expected = await payloadOf(join(trio.hospital.ctx.config.dataRoot, 'diabetes-cohort'), 'x');
    expect(done.size).toBe(expected.size);
    expect(done.digest).toBe(await sha256Of(payloadReadable(expected)));
    const download = await managementFetch(trio.institute, `/transfers/${encodeURIComponent(started.id)}/data`);
    expect(download.status).toBe(200);
    expect(await sha256Of(download.body!)).toBe(done.digest);
    const provider = (await jsonOf(await managementFetch(trio.hospital, '/transfers?role=provider'))).transfers.find((t: any) => t.agreementId === agreementId);
    expect((await waitForTransfer(trio.hospital, provider.id, ['COMPLETED'])).digest).toBe(done.digest);
    const agreement = await jsonOf(await managementFetch(trio.hospital, `/agreements/${encodeURIComponent(agreementId)}`));
    expect(agreement.transferCount).toBe(1);
  });

  it('pushes a file to the consumer, which keeps it only once the digest matches', async () => {
    mkdirSync(join(trio.hospital.ctx.config.dataRoot, 'exports'), { recursive: true });
    const bytes = randomBytes(5_000_000);
    writeFileSync(join(trio.hospital.ctx.config.dataRoot, 'exports', 'cohort.csv'), bytes);
    const dataset = exampleDataset(trio.hospital, { offers: [researchOffer()], source: { kind: 'file', path: 'exports/cohort.csv' } });
    const agreementId = await agreementFor(trio, dataset);
    const started = await startTransfer(trio.institute, agreementId, 'HttpData-PUSH');
    const done = await waitForTransfer(trio.institute, started.id, ['COMPLETED', 'TERMINATED']);
    expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
    expect(readFileSync(done.receivedPath).equals(bytes)).toBe(true);
    expect(done.digest).toBe(createHash('sha256').update(bytes).digest('base64'));
  });

  it('streams an http(s) source through to the consumer, digest-checked', async () => {
    const bytes = randomBytes(3_000_000);
    const server = createServer((req, res) => {
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      const from = range ? Number(range[1]) : 0;
      res.writeHead(range ? 206 : 200, { 'content-type': 'application/x-ndjson', 'content-length': String(bytes.length - from) });
      res.end(bytes.subarray(from));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/exports/Observation.ndjson`;
      const dataset = exampleDataset(trio.hospital, {
        offers: [researchOffer()],
        source: { kind: 'http', url },
        distributions: [
          {
            format: 'http://publications.europa.eu/resource/authority/file-type/JSON',
            mediaType: 'http://www.iana.org/assignments/media-types/application/json',
            byteSize: bytes.length,
          },
        ],
      });
      const agreementId = await agreementFor(trio, dataset);
      const done = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
      expect(done.state, JSON.stringify(done.reasons)).toBe('COMPLETED');
      expect(done.receivedPath).toMatch(/Observation\.ndjson$/);
      expect(readFileSync(done.receivedPath).equals(bytes)).toBe(true);
      expect(done.digest).toBe(createHash('sha256').update(bytes).digest('base64'));
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("shows datasets, negotiations, transfers and the wallet on each operator's dashboard", async () => {
    const institute = await dashboardPage(trio.institute);
    for (const panel of ['Negotiations', 'Transfers', 'Wallet']) expect(institute).toContain(`<h2>${panel}</h2>`);
    expect(institute).toMatch(/\d+ COMPLETED/);
    expect(institute).toMatch(/\d+ FINALIZED/);
    expect(institute).toContain('DataPermitCredential');
    const hospital = await dashboardPage(trio.hospital);
    expect(hospital).toContain('<h2>Datasets published</h2>');
    expect(hospital).toContain('sensitive');
    expect(hospital).toMatch(/<td>COMPLETED<\/td><td>provider<\/td>/);
  });

  it('sends only messages that validate against the DSP 2025-1 transfer schemas', async () => {
    const rows = await Promise.all(
      [trio.hospital, trio.institute].map((c) => c.ctx.database.db.selectFrom('outbox').select(['message_type', 'body']).where('kind', '=', 'transfer').execute()),
    );
    const messages = rows.flat();
    expect(new Set(messages.map((m) => m.message_type))).toEqual(new Set(['TransferRequestMessage', 'TransferStartMessage', 'TransferCompletionMessage']));
    for (const m of messages) expect(dspSchemaErrors(SCHEMA_OF[m.message_type]!, JSON.parse(m.body)), m.message_type).toEqual([]);
  });

  it('refuses a transfer beyond the number the agreement allows', async () => {
    const offer = researchOffer();
    (offer.permission![0] as any).constraint.push({ leftOperand: 'odrl:count', operator: 'lteq', rightOperand: '1' });
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [offer] }));
    const first = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
    expect(first.state).toBe('COMPLETED');
    const second = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
    expect(second.state).toBe('TERMINATED');
    expect(second.reasons.join(' ')).toMatch(/the number of transfers must be lteq "1"; found 2/);
  });

  it('refuses a transfer under an agreement that has expired', async () => {
    const offer = researchOffer();
    (offer.permission![0] as any).constraint.push({ leftOperand: 'odrl:dateTime', operator: 'lteq', rightOperand: new Date(Date.now() + 2500).toISOString() });
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [offer] }));
    await new Promise((resolve) => setTimeout(resolve, 2600));
    const refused = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
    expect(refused.state).toBe('TERMINATED');
    expect(refused.reasons.join(' ')).toMatch(/the date must be lteq/);
  });

  it('refuses a transfer once the consumer credential it was agreed with is revoked', async () => {
    const agreementId = await agreementFor(trio, exampleDataset(trio.hospital, { offers: [researchOffer()] }));
    const { credentials } = await jsonOf(await managementFetch(trio.authority, `/credentials?subject=${encodeURIComponent(trio.institute.did)}&type=DataPermitCredential`));
    for (const c of credentials.filter((c: any) => !c.revokedAt))
      await managementFetch(trio.authority, `/credentials/${encodeURIComponent(c.id)}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'permit withdrawn' }) });
    const refused = await waitForTransfer(trio.institute, (await startTransfer(trio.institute, agreementId)).id, ['COMPLETED', 'TERMINATED']);
    expect(refused.state).toBe('TERMINATED');
    expect(refused.reasons.join(' ')).toMatch(/DataPermitCredential is no longer valid: revoked/);
  });
});
