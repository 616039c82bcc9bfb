import { readFileSync } from 'node:fs';
import { DatasetInput, type Dataset } from '../../../catalog/dataset.ts';
import { type PublishedDataset, prepareDataset } from '../../../catalog/publication.ts';
import { catalogHost } from '../../../catalog/rdf.ts';

/** Pure fixtures for the catalog core: the example dataset a steward registers, and a fixed catalog host. */
export const EXAMPLE_INPUT = JSON.parse(readFileSync(new URL('../../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));

export const HOST = catalogHost('http://127.0.0.1:8701', 'did:web:127.0.0.1%3A8701', 'Centre Hospitalier Example');
export const DATASET_ID = 'urn:uuid:5a1c0a5e-0000-4000-8000-000000000001';
export const NOW = new Date('2026-03-04T05:06:07.000Z');
/** What a file data source measures; the example's distribution gives no byteSize of its own. */
export const SOURCE_BYTES = 13_941_554;

/** The example as a steward submits it, with a fixed id and `overrides` (undefined deletes a field). */
export function exampleInput(overrides: Record<string, unknown> = {}): Record<string, any> {
  const input: Record<string, any> = { ...structuredClone(EXAMPLE_INPUT), id: DATASET_ID, ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete input[key];
  return input;
}

/** The example as registered: parsed, with the fields the connector maintains. */
export function exampleDataset(overrides: Record<string, unknown> = {}): Dataset {
  const input = DatasetInput.parse(exampleInput(overrides));
  return {
    ...input,
    distributions: input.distributions.map((d) => ({ byteSize: SOURCE_BYTES, ...d })),
    id: input.id ?? DATASET_ID,
    identifier: input.identifier ?? input.id ?? DATASET_ID,
    issued: input.issued ?? '2026-03-04',
    modified: NOW.toISOString(),
  };
}

export function publishExample(overrides: Record<string, unknown> = {}): Promise<PublishedDataset> {
  return prepareDataset(exampleInput(overrides), HOST, { sourceBytes: SOURCE_BYTES, now: NOW });
}
