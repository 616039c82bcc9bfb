import { DSPACE, message, readDsp, ScenarioFailure } from './jsonld.ts';
import { need, scenarios, type ScenarioContext } from './scenario.ts';

const DCAT_DATASET = 'http://www.w3.org/ns/dcat#dataset';

export const MET_SCENARIOS = scenarios('MET', {
  '01-01': [
    'Verify version metadata endpoint',
    async (ctx: ScenarioContext) => {
      const body = (await ctx.http.getJson(`${ctx.settings.baseUrl.href.replace(/\/+$/, '')}/.well-known/dspace-version`)) as {
        protocolVersions?: { version?: string; path?: unknown; binding?: unknown }[];
      };
      const entry = body?.protocolVersions?.find((v) => v.version === '2025-1');
      if (!entry) throw new ScenarioFailure('no protocolVersions entry for 2025-1');
      if (entry.path == null || entry.binding == null) throw new ScenarioFailure('the 2025-1 entry needs a path and a binding');
    },
  ],
});

export const CAT_SCENARIOS = scenarios('CAT', {
  '01-01': [
    'Verify catalog request',
    async (ctx: ScenarioContext, key: string) => {
      const datasetId = need(ctx.ids, 'DATASETID', key);
      const node = await readDsp(await ctx.http.postJson(`${ctx.dsp}/catalog/request`, message('CatalogRequestMessage', {})), 'Catalog');
      const datasets = (node[DCAT_DATASET] ?? []) as { '@id'?: string }[];
      if (datasets.length === 0) throw new ScenarioFailure('the catalog has no dcat:dataset');
      if (!datasets.some((d) => d['@id'] === datasetId)) throw new ScenarioFailure(`the catalog has no dataset ${datasetId}`);
    },
  ],
  '01-02': [
    'Verify dataset request',
    async (ctx: ScenarioContext, key: string) => {
      const datasetId = need(ctx.ids, 'DATASETID', key);
      const node = await readDsp(await ctx.http.getJson(`${ctx.dsp}/catalog/datasets/${encodeURIComponent(datasetId)}`), 'Dataset');
      if (node['@id'] !== (datasetId as unknown)) throw new ScenarioFailure(`the dataset's @id is ${String(node['@id'])}, not ${datasetId}`);
    },
  ],
  '01-03': [
    'Verify dataset request for a dataset that does not exist',
    async (ctx: ScenarioContext, key: string) => {
      const datasetId = need(ctx.ids, 'DATASETID', key);
      await readDsp(await ctx.http.getJson(`${ctx.dsp}/catalog/datasets/${encodeURIComponent(datasetId)}`, true), 'CatalogError');
    },
  ],
});

export { DSPACE };
