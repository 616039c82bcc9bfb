import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseProperties } from '../../scripts/tck/properties.ts';
import { loadTckSettings, type TckSettings } from '../../scripts/tck/settings.ts';
import { startTckFixture, type TckFixture } from '../../scripts/tck/fixture.ts';
import { runReplay } from '../../scripts/tck/replay/runner.ts';
import { SPECS_DIR } from '../support/dsp-schemas.ts';
import { tempDir } from '../support/connectors.ts';
import { createLogger } from '../../connector/logger.ts';

const SAMPLE = readFileSync(join(SPECS_DIR, 'dsp-tck/sample.tck.properties'), 'utf8');
const SENT_BY_US = [
  'Catalog',
  'CatalogError',
  'ContractAgreementMessage',
  'ContractAgreementVerificationMessage',
  'ContractNegotiation',
  'ContractNegotiationError',
  'ContractNegotiationEventMessage',
  'ContractNegotiationTerminationMessage',
  'ContractOfferMessage',
  'ContractRequestMessage',
  'Dataset',
  'TransferCompletionMessage',
  'TransferError',
  'TransferProcess',
  'TransferRequestMessage',
  'TransferStartMessage',
  'TransferSuspensionMessage',
  'TransferTerminationMessage',
];
const EDC_TOKEN = '"{"region": "any", "audience": "any", "clientId":"any"}"';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The TCK's sample properties, on free loopback ports (CUT, triggers, the TCK's callback server). */
async function sampleProperties(): Promise<string> {
  const [cut, triggers, tck] = [await freePort(), await freePort(), await freePort()];
  const text = SAMPLE.replace('http://localhost:8282/api/v1/dsp/<version>', `http://127.0.0.1:${cut}/api/v1/dsp/2025-1`)
    .replace('http://localhost:8282/api/dsp', `http://127.0.0.1:${cut}/api/dsp`)
    .replaceAll('localhost:8687', `127.0.0.1:${triggers}`)
    .replace('dataspacetck.dsp.default.wait=10000000', 'dataspacetck.dsp.default.wait=10');
  const path = join(tempDir('hdc-tck-props-'), 'tck.properties');
  writeFileSync(path, `${text}\ndataspacetck.callback.address=http://127.0.0.1:${tck}\n`);
  return path;
}

describe('Java properties, as the TCK reads its configuration', () => {
  it('unescapes values as java.util.Properties does, literal quotes kept', () => {
    const properties = parseProperties(SAMPLE);
    expect(properties.get('dataspacetck.dsp.connector.http.headers.authorization')).toBe(EDC_TOKEN);
    expect(properties.get('CN_01_01_OFFERID')).toBe('CD123:ACN0101:456');
    expect(properties.get('TP_C_01_05_AGREEMENTID')).toBe('ATPC0104');
  });

  it('reads separators, continuation lines, comments and unicode escapes', () => {
    const properties = parseProperties('# comment\n! also\na = 1\nb:2\nc 3\nlong = one \\\n    two\nu=\\u0041\\tB\nkey\\ with\\=sign=x\n');
    expect(Object.fromEntries(properties)).toEqual({ a: '1', b: '2', c: '3', long: 'one two', u: 'A\tB', 'key with=sign': 'x' });
  });
});

describe('the fixture stays out of the product', () => {
  it('no module under connector/ imports scripts/tck (hdc start cannot reach it)', () => {
    const offenders = readdirSync(new URL('../../connector/', import.meta.url), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .filter((entry) => /from ['"][^'"]*scripts\/tck/.test(readFileSync(join(entry.parentPath, entry.name), 'utf8')));
    expect(offenders.map((entry) => entry.name)).toEqual([]);
  });
});

describe('DSP TCK fixture (npm run tck) driven by the TCK replay', () => {
  let settings: TckSettings;
  let fixture: TckFixture;
  beforeAll(async () => {
    settings = loadTckSettings(await sampleProperties());
    const logger = createLogger({ level: process.env.TEST_LOGS ? 'debug' : 'silent', base: { connector: 'tck-fixture' } });
    fixture = await startTckFixture(settings, { dataDir: tempDir('hdc-tck-'), logger });
  });
  afterAll(() => fixture?.close());

  it('is ready, and takes the TCK Authorization value only as it is', async () => {
    expect((await fetch(`${settings.baseUrl.origin}/health`)).status).toBe(200);
    const metadata = (await (await fetch(`${settings.baseUrl.href}/.well-known/dspace-version`)).json()) as { protocolVersions: unknown[] };
    expect(metadata.protocolVersions[0]).toMatchObject({ version: '2025-1', path: '/api/v1/dsp/2025-1', binding: 'HTTPS' });
    const dsp = settings.httpUrl.href;
    expect((await fetch(`${dsp}/catalog/datasets/CAT0101`, { headers: { authorization: EDC_TOKEN } })).status).toBe(200);
    const unquoted = await fetch(`${dsp}/catalog/datasets/CAT0101`, { headers: { authorization: EDC_TOKEN.slice(1, -1) } });
    expect(unquoted.status).toBe(401);
  });

  it('passes all 65 runnable scenarios, each group counted', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    // Strict: also the error answers and the transfer messages the TCK leaves unvalidated.
    const result = await runReplay(settings, { print: (line) => lines.push(line), strict: true });
    expect(result.failed, lines.join('\n')).toEqual([]);
    // Every kind of DSP message and answer the connector sends was read: schema-valid, expanded with the DSP contexts alone.
    expect(Object.keys(result.read).sort()).toEqual(SENT_BY_US);
    const count = (group: string) => result.passed.filter((id) => id.startsWith(`${group}:`)).length;
    expect({ MET: count('MET'), CAT: count('CAT'), CN: count('CN'), CN_C: count('CN_C'), TP: count('TP'), TP_C: count('TP_C') }).toEqual({
      MET: 1,
      CAT: 3,
      CN: 15,
      CN_C: 16,
      TP: 15,
      TP_C: 15,
    });
    expect(lines).toContain('Passed tests: 65');
  });
});
