import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DSP_DIR, dspSchemaErrors } from '../../scripts/tck/replay/schemas.ts';

export { dspSchemaErrors, SPECS_DIR } from '../../scripts/tck/replay/schemas.ts';

export function dspExample(path: string): unknown {
  return JSON.parse(readFileSync(join(DSP_DIR, path), 'utf8'));
}

/**
 * Checks a DSP error answer: its status, its @type (ContractNegotiationError, TransferError…), that it
 * validates against `schema`, and that its reasons match `reason`. Returns the body.
 */
export async function expectDspError(response: Response, status: number, type: string, schema: string, reason: RegExp): Promise<any> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as any;
  expect(body['@type']).toBe(type);
  expect(dspSchemaErrors(schema, body)).toEqual([]);
  expect(body.reason.join(' ')).toMatch(reason);
  return body;
}
