import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { startTestConnector, tempDir } from '../support/connectors.ts';
import { admit, collectCredentials, grantPermit, onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { researchOffer } from '../negotiation/support.ts';

/**
 * What a researcher meets, through the operator CLI against live connectors: the whole flow from the
 * federated catalog to verified data on disk, and each refusal with the reason shown to them.
 */

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `hdc …` as an operator of `connector` types it (its URL and API key from the environment). */
function hdc(connector: RunningConnector, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['connector/cli/hdc.ts', ...args], { env: { ...process.env, HDC_URL: connector.url, HDC_API_KEY: connector.ctx.apiKey } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const agreementOf = (run: Run) => /agreement (urn:uuid:[\w-]+)/.exec(run.stdout)?.[1];

describe('a researcher, from the federated catalog to verified data, and the refusals they meet', () => {
  let trio: Trio;
  let datasetId: string;

  /** Another research institute, admitted, with the permit given (or none), its credentials collected. */
  async function institute(name: string, permit?: Record<string, unknown>): Promise<RunningConnector> {
    const connector = await startTestConnector({
      role: 'research-institute',
      name,
      trustedIssuers: [{ did: trio.authority.did, credentialTypes: ['*'] }],
      statusListCacheTtlSeconds: 0,
    });
    await admit(trio.authority, connector, 'research-institute');
    if (permit) await grantPermit(trio.authority, connector, permit);
    await collectCredentials(connector, trio.authority);
    expect((await hdc(connector, 'catalog', 'crawl')).status).toBe(0);
    return connector;
  }

  beforeAll(async () => {
    trio = await startTrio({ hospital: { enforcementIntervalSeconds: 1 } });
    await onboard(trio);
    datasetId = (await registerDataset(trio.hospital, exampleDataset(trio.hospital, { offers: [researchOffer()] }))).id;
    expect((await hdc(trio.institute, 'catalog', 'crawl')).status).toBe(0);
  });

  it('finds the cohort, negotiates, pulls it and saves it digest-checked', async () => {
    const search = await hdc(trio.institute, 'catalog', 'search', 'diabetes');
    expect(search.stdout).toContain(datasetId);
    const negotiated = await hdc(trio.institute, 'negotiate', datasetId);
    expect(negotiated.status, negotiated.stdout + negotiated.stderr).toBe(0);
    expect(negotiated.stdout).toMatch(/FINALIZED/);
    const pulled = await hdc(trio.institute, 'transfers', 'start', agreementOf(negotiated)!);
    expect(pulled.status, pulled.stdout + pulled.stderr).toBe(0);
    expect(pulled.stdout).toMatch(/COMPLETED\s+consumer\s+HttpData-PULL/);
    const transferId = /Transfer (urn:uuid:[\w-]+)/.exec(pulled.stdout)![1]!;
    const digest = /sha-256 (\S+)/.exec(pulled.stdout)![1]!;
    const out = join(tempDir(), 'cohort.tar');
    const saved = await hdc(trio.institute, 'transfers', 'download', transferId, '--out', out);
    expect(saved.stdout).toContain('verified');
    expect(createHash('sha256').update(readFileSync(out)).digest('base64')).toBe(digest);
    expect(readFileSync(out).includes('"resourceType":"Patient"')).toBe(true);
  });

  it('without a data permit: the negotiation is refused, saying a permit is required', async () => {
    const noPermit = await institute('no-permit institute');
    const refused = await hdc(noPermit, 'negotiate', datasetId);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/TERMINATED/);
    expect(refused.stdout).toMatch(/reasons: .*a valid data permit .*is required/);
  });

  it('with a permit for another purpose: refused, naming the purpose asked for and the one held', async () => {
    const teaching = await institute('teaching institute', { purposes: ['education'] });
    const refused = await hdc(teaching, 'negotiate', datasetId);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('purpose must be isAnyOf ["scientific-research"]; found [education]');
  });

  it('after the permit is revoked: the agreement no longer lets data flow, and the transfer says why', async () => {
    const revokedLater = await institute('revoked institute', {});
    const negotiated = await hdc(revokedLater, 'negotiate', datasetId);
    expect(negotiated.status, negotiated.stdout).toBe(0);
    const listed = await hdc(trio.authority, 'credentials', 'list');
    const lines = listed.stdout.split('\n');
    const at = lines.findIndex((line) => line.includes('DataPermitCredential') && line.includes(revokedLater.did));
    const permitId = lines[at + 1]?.match(/urn:uuid:[\w-]+/)?.[0];
    expect(permitId, listed.stdout).toBeDefined();
    expect((await hdc(trio.authority, 'credentials', 'revoke', permitId!, '--reason', 'project closed')).status).toBe(0);
    const refused = await hdc(revokedLater, 'transfers', 'start', agreementOf(negotiated)!);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/TERMINATED/);
    expect(refused.stdout).toMatch(/DataPermitCredential is no longer valid: revoked/);
  });

  it('after the agreement expires: the transfer is refused with the date it ran to', async () => {
    // Long enough for a crawl and a negotiation through CLI processes on a busy machine.
    const expiresAt = Date.now() + 15_000;
    const expiring = researchOffer();
    (expiring.permission![0] as any).constraint.push({ leftOperand: 'odrl:dateTime', operator: 'lteq', rightOperand: new Date(expiresAt).toISOString() });
    const expiringDatasetId = (await registerDataset(trio.hospital, exampleDataset(trio.hospital, { offers: [expiring] }))).id;
    expect((await hdc(trio.institute, 'catalog', 'crawl')).status).toBe(0);
    const negotiated = await hdc(trio.institute, 'negotiate', expiringDatasetId);
    expect(negotiated.status, negotiated.stdout).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 200));
    const refused = await hdc(trio.institute, 'transfers', 'start', agreementOf(negotiated)!);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toMatch(/TERMINATED/);
    expect(refused.stdout).toMatch(/the date must be lteq/);
  }, 60_000);
});
