import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../scripts/bench/load.ts';
import { startDcpTckFixture, type DcpTckFixture } from '../../scripts/dcp-tck/fixture.ts';
import { DCP_SCENARIOS, runDcpReplay } from '../../scripts/dcp-tck/runner.ts';
import { dcpTckSettings, type DcpTckSettings } from '../../scripts/dcp-tck/settings.ts';
import { parseProperties } from '../../scripts/tck/properties.ts';
import { tempDir } from '../support/connectors.ts';
import { POSTGRES_URL } from '../support/database.ts';
import { createLogger } from '../../connector/logger.ts';

/** The fixture's sample properties (scripts/dcp-tck/dcp-tck.properties), moved onto free loopback ports. */
async function properties(): Promise<DcpTckSettings> {
  const text = readFileSync(new URL('../../scripts/dcp-tck/dcp-tck.properties', import.meta.url), 'utf8');
  const ports = new Map<string, string>();
  for (const port of ['9150', '9101', '9102', '9103']) ports.set(port, String(await freePort()));
  // A fixed issuer key (the TCK's dataspacetck.key.issuer): what a first run stored still verifies in a second.
  const issuerKey = JSON.stringify({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid: 'issuer-key' });
  const moved = text.replace(/(127\.0\.0\.1(?:%3A|:))(91\d\d)/g, (_, host: string, port: string) => `${host}${ports.get(port)}`);
  return dcpTckSettings(parseProperties(`${moved}\ndataspacetck.key.issuer=${issuerKey}\n`));
}

describe('the DCP TCK fixture stays out of the product', () => {
  it('no module under connector/ imports scripts/dcp-tck', () => {
    const offenders = readdirSync(new URL('../../connector/', import.meta.url), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .filter((entry) => /from ['"][^'"]*scripts\/dcp-tck/.test(readFileSync(join(entry.parentPath, entry.name), 'utf8')));
    expect(offenders.map((entry) => entry.name)).toEqual([]);
  });
});

/**
 * The DCP TCK's 85 active scenarios (credential service, verifier, issuance on the credential service, issuer
 * service), replayed over HTTP against the fixture: real keys (P-256, JsonWebKey2020 on the TCK's side),
 * real signed tokens, credentials and presentations, the TCK's DID documents, credential service and status
 * list served by the replay.
 */
describe('DCP TCK fixture (npm run dcp-tck) driven by the DCP TCK replay', () => {
  let settings: DcpTckSettings;
  let fixture: DcpTckFixture;
  beforeAll(async () => {
    settings = await properties();
    const logger = createLogger({ level: process.env.TEST_LOGS ? 'debug' : 'silent', base: { connector: 'dcp-tck-fixture' } });
    fixture = await startDcpTckFixture(settings, { dataDir: tempDir('hdc-dcp-tck-'), logger, ...(POSTGRES_URL ? { database: POSTGRES_URL } : {}) });
  });
  afterAll(() => fixture?.close());

  it('replays every active scenario of the TCK, once each', () => {
    const ids = DCP_SCENARIOS.map((s) => `${s.group}:${s.id}`);
    expect(new Set(ids).size).toBe(85);
    const count = (group: string) => DCP_SCENARIOS.filter((s) => s.group === group).length;
    expect([count('presentation.cs'), count('issuance.cs'), count('presentation.verifier'), count('issuance.issuer')]).toEqual([16, 24, 20, 25]);
  });

  it('passes all 85, each group counted', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const result = await runDcpReplay(settings, { print: (line) => lines.push(line) });
    expect(result.failed, lines.join('\n')).toEqual([]);
    expect(result.groups).toEqual({ 'presentation.cs': [16, 0], 'issuance.cs': [24, 0], 'presentation.verifier': [20, 0], 'issuance.issuer': [25, 0] });
    expect(lines).toContain('Passed tests: 85');
  });

  it('passes again in a second run against the same fixture (new holder and verifier keys under the same DIDs)', async () => {
    const lines: string[] = [];
    const only = ['verifier_05_01', 'emptyCredentials', 'invalidCredentialSchema', 'cs_05_04_01_02_scopeByTypeRequest', 'is_6_4_1_'];
    const result = await runDcpReplay(settings, { only, print: (line) => lines.push(line) });
    expect(result.passed, lines.join('\n')).toHaveLength(5);
  });
});
