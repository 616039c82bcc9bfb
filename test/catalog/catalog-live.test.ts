import { beforeAll, describe, expect, it } from 'vitest';
import { Parser, Store } from 'n3';
import jsonld from 'jsonld';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { dspSchemaErrors } from '../support/dsp-schemas.ts';
import { isomorphic } from '../../vocab/rdf.ts';
import { offlineDocumentLoader } from '../../vocab/document-loader.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { exampleDataset, registerDataset } from './support.ts';

const DSP = 'https://w3id.org/dspace/2025/1/context.jsonld';
const catalogRequest = (filter?: unknown[]) => ({ '@context': [DSP], '@type': 'CatalogRequestMessage', ...(filter ? { filter } : {}) });

describe('the catalog of a hospital', () => {
  let hospital: RunningConnector;
  let institute: RunningConnector;
  let dataset: any;
  const ask = (path: string, body?: unknown, method: 'GET' | 'POST' = 'POST') =>
    institute.ctx.dspFetch({ url: `${hospital.url}/dsp/2025-1${path}`, audienceDid: hospital.did, method, body });

  beforeAll(async () => {
    [hospital, institute] = await Promise.all([startTestConnector({ role: 'hospital' }), startTestConnector({ role: 'research-institute' })]);
    dataset = exampleDataset(hospital);
    await registerDataset(hospital, dataset);
  });

  it('answers a CatalogRequestMessage with a Catalog that validates against the DSP schema', async () => {
    const response = await ask('/catalog/request', catalogRequest());
    expect(response.status).toBe(200);
    const catalog = await jsonOf(response);
    expect(dspSchemaErrors('catalog/catalog-schema.json', catalog)).toEqual([]);
    expect(catalog).toMatchObject({ '@context': [DSP], '@type': 'Catalog', participantId: hospital.did });
    const [entry] = catalog.dataset;
    expect(entry['@id']).toBe(dataset.id);
    expect(entry.hasPolicy[0]).toMatchObject({ '@type': 'Offer', '@id': dataset.offers[0]['@id'] });
    expect(entry.hasPolicy[0].target).toBeUndefined();
    expect(entry.distribution.map((d: any) => d.format)).toEqual(['HttpData-PULL', 'HttpData-PUSH']);
    expect(entry.distribution[0].accessService['@id']).toBe(catalog.service[0]['@id']);
    expect(entry['dct:title']).toEqual(expect.arrayContaining([{ '@value': 'Synthetic type 2 diabetes cohort', '@language': 'en' }]));
    expect(entry['http://healthdataportal.eu/ns/health#healthCategory']).toEqual([{ '@id': 'http://publications.europa.eu/resource/authority/health-category/EHRS' }]);
  });

  it('keeps the metadata through JSON-LD expansion with the DSP context', async () => {
    const catalog = await jsonOf(await ask('/catalog/request', catalogRequest()));
    const expanded = (await jsonld.expand(catalog, { documentLoader: offlineDocumentLoader as never })) as any[];
    const ds = expanded[0]['http://www.w3.org/ns/dcat#dataset'][0];
    expect(ds['http://purl.org/dc/terms/title']).toBeDefined();
    expect(ds['http://www.w3.org/ns/odrl/2/hasPolicy']).toBeDefined();
    expect(ds['http://healthdataportal.eu/ns/health#hdab']).toBeDefined();
  });

  it('serves one dataset at /catalog/datasets/:id, schema-valid', async () => {
    const response = await ask(`/catalog/datasets/${encodeURIComponent(dataset.id)}`, undefined, 'GET');
    const body = await jsonOf(response);
    expect(response.status).toBe(200);
    expect(dspSchemaErrors('catalog/dataset-schema.json', body)).toEqual([]);
    expect(body['@context']).toEqual([DSP]);
  });

  it('publishes the same graph as Turtle and as JSON-LD', async () => {
    const turtle = await (await fetch(`${hospital.url}/catalog`, { headers: { accept: 'text/turtle' } })).text();
    const json = await jsonOf(await fetch(`${hospital.url}/catalog`, { headers: { accept: 'application/ld+json' } }));
    // A triple the catalog's graph and a dataset's both hold (the class of a legislation) is written by each: count it once.
    const fromTurtle = new Store(new Parser().parse(turtle)).getQuads(null, null, null, null);
    const nquads = (await jsonld.toRDF(json, { format: 'application/n-quads', documentLoader: offlineDocumentLoader as never })) as unknown as string;
    const fromJson = new Parser({ format: 'N-Quads' }).parse(nquads);
    expect(fromTurtle.length).toBeGreaterThan(60);
    expect(fromJson.length).toBe(fromTurtle.length);
    expect(await isomorphic(fromTurtle, fromJson)).toBe(true);
  });

  describe('errors', () => {
    it('401 CatalogError without a token', async () => {
      const response = await fetch(`${hospital.url}/dsp/2025-1/catalog/request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(catalogRequest()),
      });
      expect(response.status).toBe(401);
      expect(dspSchemaErrors('catalog/catalog-error-schema.json', await jsonOf(response))).toEqual([]);
    });
    it('400 CatalogError for a malformed request, an unknown filter, or a bad page', async () => {
      for (const [body, query] of [
        [{ '@type': 'CatalogRequestMessage' }, ''],
        [catalogRequest([{ colour: 'red' }]), ''],
        [catalogRequest(), '?limit=0'],
        [catalogRequest(), '?offset=-1'],
        ['not json', ''],
      ] as const) {
        const response = await institute.ctx.dspFetch({ url: `${hospital.url}/dsp/2025-1/catalog/request${query}`, audienceDid: hospital.did, method: 'POST', body });
        expect(response.status, JSON.stringify(body)).toBe(400);
        const error = await jsonOf(response);
        expect(error['@type']).toBe('CatalogError');
        expect(dspSchemaErrors('catalog/catalog-error-schema.json', error)).toEqual([]);
      }
    });
    it('404 CatalogError for an unknown dataset', async () => {
      const response = await ask('/catalog/datasets/urn:uuid:nope', undefined, 'GET');
      expect(response.status).toBe(404);
      expect((await jsonOf(response)).reason[0]).toContain('urn:uuid:nope');
    });
  });
});

describe('registering datasets', () => {
  let hospital: RunningConnector;
  beforeAll(async () => {
    hospital = await startTestConnector({ role: 'hospital' });
  });
  const post = (body: unknown) => managementFetch(hospital, '/datasets', { method: 'POST', body: JSON.stringify(body) });

  it('refuses what does not conform to the shapes of its tier, naming the field', async () => {
    const { hdab: _hdab, ...withoutHdab } = exampleDataset(hospital);
    const missing = await jsonOf(await post(withoutHdab));
    expect(missing.error.details).toEqual(expect.arrayContaining([expect.stringMatching(/^hdab: /)]));
    const sensitive = exampleDataset(hospital);
    delete sensitive.provenance;
    delete sensitive.sample;
    const refused = await post(sensitive);
    expect(refused.status).toBe(400);
    const details = (await jsonOf(refused)).error.details.join('\n');
    expect(details).toMatch(/dct:provenance/);
    expect(details).toMatch(/adms:sample/);
    const open = exampleDataset(hospital, { accessRights: 'PUBLIC', provenance: undefined, sample: undefined });
    const accepted = await post(open);
    expect(accepted.status, await accepted.clone().text()).toBe(201);
  });

  it('refuses a data source outside the data root', async () => {
    for (const path of ['../../etc', '/etc/passwd', 'missing-folder']) {
      const response = await post(exampleDataset(hospital, { source: { kind: 'file', path } }));
      expect(response.status).toBe(400);
      expect((await jsonOf(response)).error.code).toBe('invalid_source');
    }
  });

  it('an update bumps modified and keeps issued; delete withdraws it', async () => {
    const dataset = exampleDataset(hospital);
    await registerDataset(hospital, dataset);
    const first = await jsonOf(await managementFetch(hospital, `/datasets/${encodeURIComponent(dataset.id)}`));
    await new Promise((r) => setTimeout(r, 5));
    const updated = await managementFetch(hospital, `/datasets/${encodeURIComponent(dataset.id)}`, { method: 'PUT', body: JSON.stringify({ ...dataset, version: '1.1' }) });
    expect(updated.status).toBe(200);
    const second = await jsonOf(await managementFetch(hospital, `/datasets/${encodeURIComponent(dataset.id)}`));
    expect(second.version).toBe('1.1');
    expect(second.issued).toBe(first.issued);
    expect(Date.parse(second.modified)).toBeGreaterThan(Date.parse(first.modified));
    expect((await managementFetch(hospital, `/datasets/${encodeURIComponent(dataset.id)}`, { method: 'DELETE' })).status).toBe(204);
    expect((await managementFetch(hospital, `/datasets/${encodeURIComponent(dataset.id)}`)).status).toBe(404);
  });
});
