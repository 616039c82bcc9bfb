import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';

export const EXAMPLE_DATASET = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));

/** The example diabetes dataset with `overrides`, its data folder created in the connector's data root. */
export function exampleDataset(connector: RunningConnector | { dataRoot: string }, overrides: Record<string, unknown> = {}): any {
  const dataRoot = 'dataRoot' in connector ? connector.dataRoot : connector.ctx.config.dataRoot;
  const folder = join(dataRoot, 'diabetes-cohort');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'Patient.ndjson'), '{"resourceType":"Patient","id":"p1"}\n');
  const id = `urn:uuid:${crypto.randomUUID()}`;
  return { ...structuredClone(EXAMPLE_DATASET), id, offers: [{ ...EXAMPLE_DATASET.offers[0], '@id': `${id}:offer` }], ...overrides };
}

export async function registerDataset(connector: RunningConnector, dataset: any): Promise<any> {
  const response = await managementFetch(connector, '/datasets', { method: 'POST', body: JSON.stringify(dataset) });
  expect(response.status, await response.clone().text()).toBe(201);
  return jsonOf(response);
}
