import { readFileSync } from 'node:fs';
import { parseProperties } from './properties.ts';

/** The TCK's participant id: the counter-party every TCK message comes from. */
export const TCK_PARTICIPANT = 'TCK_PARTICIPANT';

/** One scenario's configured ids: `CN_01_01` → { DATASETID, OFFERID }, `TP_01_01` → { AGREEMENTID, FORMAT }. */
export type TestIds = Record<string, string>;

/** What the fixture (and the replay) take from a DSP TCK properties file (../shared/specs/dsp-tck/README.md §6.2). */
export interface TckSettings {
  agentId: string;
  /** The connector's versioned DSP base, e.g. http://localhost:8282/api/v1/dsp/2025-1 */
  httpUrl: URL;
  /** Root of `/.well-known/dspace-version`. */
  baseUrl: URL;
  /** The literal Authorization header value, after Java unescaping (quotes included). */
  authorization: string | undefined;
  negotiationTrigger: URL;
  transferTrigger: URL;
  /** The TCK's callback server (what the replay listens at). */
  callbackAddress: URL;
  /** Seconds a step waits for an expected message or state. */
  waitSeconds: number;
  /** Per-test ids by test key (CAT_01_01, CN_01_01, CN_C_01_01, TP_01_01, TP_C_01_01…). */
  tests: Map<string, TestIds>;
}

const TEST_KEY = /^((?:CAT|CN_C|CN|TP_C|TP)_\d{2}_\d{2})_([A-Z]+)$/;

function url(properties: Map<string, string>, key: string, fallback?: string): URL {
  const value = properties.get(key) ?? fallback;
  if (!value) throw new Error(`the TCK properties need ${key}`);
  try {
    return new URL(value);
  } catch {
    throw new Error(`${key} is not a URL: ${value}`);
  }
}

export function tckSettings(properties: Map<string, string>): TckSettings {
  const tests = new Map<string, TestIds>();
  for (const [key, value] of properties) {
    const match = TEST_KEY.exec(key);
    if (!match) continue;
    const ids = tests.get(match[1]!) ?? {};
    ids[match[2]!] = value;
    tests.set(match[1]!, ids);
  }
  const agentId = properties.get('dataspacetck.dsp.connector.agent.id');
  if (!agentId) throw new Error('the TCK properties need dataspacetck.dsp.connector.agent.id');
  const wait = Number(properties.get('dataspacetck.dsp.default.wait') ?? '15');
  return {
    agentId,
    httpUrl: url(properties, 'dataspacetck.dsp.connector.http.url'),
    baseUrl: url(properties, 'dataspacetck.dsp.connector.http.base.url'),
    authorization: properties.get('dataspacetck.dsp.connector.http.headers.authorization'),
    negotiationTrigger: url(properties, 'dataspacetck.dsp.connector.negotiation.initiate.url'),
    transferTrigger: url(properties, 'dataspacetck.dsp.connector.transfer.initiate.url'),
    callbackAddress: url(properties, 'dataspacetck.callback.address', 'http://localhost:8083'),
    waitSeconds: Number.isFinite(wait) && wait > 0 ? Math.min(wait, 60) : 15,
    tests,
  };
}

export function loadTckSettings(path: string): TckSettings {
  return tckSettings(parseProperties(readFileSync(path, 'utf8')));
}

/** The ids of every configured test of a group ('CN', 'CN_C', 'TP', 'TP_C', 'CAT'), by test key. */
export function testsOf(settings: TckSettings, group: string): [string, TestIds][] {
  return [...settings.tests].filter(([key]) => key.slice(0, key.length - 6) === group);
}
