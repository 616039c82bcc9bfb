import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

/**
 * Validators for the Dataspace Protocol 2025-1 JSON schemas shipped in ../shared/specs, so tests check
 * what the connector sends against the spec itself. Some transfer schemas reference "#definitions/…"
 * without the slash; those references are repaired on load.
 */
/** The standards' data files, in the workspace's shared/ folder beside the project (as on CI). */
export const SPECS_DIR = new URL('../../../shared/specs/', import.meta.url).pathname;
const DSP_DIR = join(SPECS_DIR, 'dsp-2025-1');

let ajv: Ajv2019 | undefined;

function loadAll(): Ajv2019 {
  const instance = new Ajv2019({ strict: false, allErrors: true });
  addFormats.default(instance);
  for (const folder of ['common', 'catalog', 'negotiation', 'transfer']) {
    for (const file of readdirSync(join(DSP_DIR, folder)).filter((f) => f.endsWith('-schema.json'))) {
      const text = readFileSync(join(DSP_DIR, folder, file), 'utf8').replaceAll('#definitions/', '#/definitions/');
      instance.addSchema(JSON.parse(text));
    }
  }
  return instance;
}

/** Errors of `value` against the schema `folder/file` (e.g. "catalog/catalog-schema.json"); empty when valid. */
export function dspSchemaErrors(schema: string, value: unknown): string[] {
  ajv ??= loadAll();
  const validate = ajv.getSchema(`https://w3id.org/dspace/2025/1/${schema}`);
  if (!validate) throw new Error(`No DSP schema ${schema}`);
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

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
