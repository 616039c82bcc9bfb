import { readFileSync } from 'node:fs';
import type { Step } from './steps.ts';
import type { DataspaceState } from './local-dataspace.ts';

const EXAMPLE = new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url);

/** The catalog entry the hospital publishes for a cohort of `patients`: the example, counted. */
export function cohortEntry(patients: number): Record<string, unknown> {
  return { ...JSON.parse(readFileSync(EXAMPLE, 'utf8')), numberOfRecords: patients, numberOfUniqueIndividuals: patients };
}

const publish: Step<DataspaceState> = {
  title: 'The hospital publishes the cohort with a HealthDCAT-AP description and an offer bound to a data permit',
  async run(state) {
    const added = await state.connectors.hospital!.api.post<{ id: string; tier: string }>('/datasets', cohortEntry(state.patients));
    state.datasetId = added.id;
    return `${added.id} (${added.tier} tier)`;
  },
};

const discover: Step<DataspaceState> = {
  title: "The institute crawls its peers' catalogs and finds the cohort in its federated catalog",
  async run(state) {
    const institute = state.connectors.institute!.api;
    await institute.post('/catalog/crawl');
    const { hits } = await institute.get<{ hits: { datasetId: string; title: string; provider: { did: string } }[] }>('/catalog/search?q=diabetes');
    const hit = hits.find((h) => h.datasetId === state.datasetId);
    if (!hit) throw new Error(`the search for "diabetes" did not find ${state.datasetId}`);
    return `"${hit.title}" from ${hit.provider.did}`;
  },
};

const negotiate: Step<DataspaceState> = {
  title: 'The institute negotiates: the hospital checks its credentials and permit, both sign the agreement',
  async run(state) {
    const institute = state.connectors.institute!.api;
    const started = await institute.post<{ id: string }>('/negotiations', { datasetId: state.datasetId });
    const n = await institute.get<{ state: string; agreementId: string | null; reasons: string[] }>(
      `/negotiations/${encodeURIComponent(started.id)}?waitFor=FINALIZED,TERMINATED&timeoutMs=30000`,
    );
    if (n.state === 'TERMINATED') throw new Error(`refused: ${n.reasons.join('; ')}`);
    if (n.state !== 'FINALIZED') throw new Error(`still ${n.state} after 30 s`);
    state.agreementId = n.agreementId!;
    return `FINALIZED, agreement ${n.agreementId}`;
  },
};

export function contractSteps(): Step<DataspaceState>[] {
  return [publish, discover, negotiate];
}
