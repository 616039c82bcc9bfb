import { describe, expect, it } from 'vitest';
import { catalogError, catalogToDsp, dataServiceJson, datasetToDsp, TRANSFER_FORMATS } from '../../../catalog/dsp.ts';
import { datasetQuads } from '../../../catalog/rdf.ts';
import { CONTEXT, NS } from '../../../vocab/namespaces.ts';
import { jsonLdToQuads } from '../../../vocab/rdf.ts';
import { dspSchemaErrors } from '../../support/dsp-schemas.ts';
import { DATASET_ID, exampleDataset, HOST } from '../support/catalog.ts';

const dataset = exampleDataset();
const dsp = datasetToDsp(dataset, datasetQuads(dataset, HOST), HOST) as Record<string, any>;

describe('DSP 2025-1 catalog: the Dataset', () => {
  it('validates against dataset-schema.json once it carries the DSP @context', () => {
    expect(dspSchemaErrors('catalog/dataset-schema.json', { '@context': [CONTEXT.dspace], ...dsp })).toEqual([]);
  });

  it('the check can fail: a Dataset without hasPolicy does not validate', () => {
    const { hasPolicy: _policy, ...withoutPolicy } = dsp;
    expect(dspSchemaErrors('catalog/dataset-schema.json', { '@context': [CONTEXT.dspace], ...withoutPolicy })).not.toEqual([]);
  });

  it('has the dataset IRI as @id and the short, unprefixed @type Dataset', () => {
    expect(dsp['@id']).toBe(DATASET_ID);
    expect(dsp['@type']).toBe('Dataset');
  });

  it('hasPolicy: each offer is an Offer with its @id and without a target (offers in a catalog carry none)', () => {
    const withTarget = exampleDataset({ offers: [{ ...exampleDataset().offers[0], target: DATASET_ID }] });
    const view = datasetToDsp(withTarget, datasetQuads(withTarget, HOST), HOST) as Record<string, any>;
    expect(view.hasPolicy).toHaveLength(1);
    expect(view.hasPolicy[0]).toMatchObject({ '@type': 'Offer', '@id': 'urn:uuid:7f0c1d6e-diabetes-research-offer' });
    expect(view.hasPolicy[0]).not.toHaveProperty('target');
    expect(view.hasPolicy[0].permission[0].action).toBe('use');
  });

  it('distribution: one per transfer format, each with @type and an accessService DataService with its endpointURL', () => {
    expect(dsp.distribution).toEqual(
      TRANSFER_FORMATS.map((format) => ({ '@type': 'Distribution', format, accessService: { '@id': HOST.dataServiceId, '@type': 'DataService', endpointURL: HOST.dspEndpoint } })),
    );
    expect(TRANSFER_FORMATS).toEqual(['HttpData-PULL', 'HttpData-PUSH']);
  });

  it('embeds the DCAT metadata under the dct: and dcat: prefixes of the DSP context, other vocabularies as full IRIs', () => {
    expect(dsp['dct:title']).toEqual([
      { '@value': 'Synthetic type 2 diabetes cohort', '@language': 'en' },
      { '@value': 'Cohorte synthétique de diabète de type 2', '@language': 'fr' },
    ]);
    expect(dsp['dcat:theme']).toEqual([{ '@id': 'http://publications.europa.eu/resource/authority/data-theme/HEAL' }]);
    expect(dsp[`${NS.healthdcatap}healthCategory`]).toEqual([{ '@id': 'http://publications.europa.eu/resource/authority/health-category/EHRS' }]);
    expect(dsp[`${NS.healthdcatap}numberOfRecords`]).toEqual([{ '@value': '3000', '@type': `${NS.xsd}nonNegativeInteger` }]);
  });

  it('plain strings stay strings; nested nodes (publisher, temporal) are embedded with their @type', () => {
    const [publisher] = dsp['dct:publisher'];
    expect(publisher['@type']).toEqual([`${NS.foaf}Agent`]);
    expect(publisher[`${NS.foaf}name`]).toEqual(['Centre Hospitalier Example']);
    expect(dsp['dct:temporal'][0]['@type']).toEqual([`${NS.dct}PeriodOfTime`]);
  });

  it('the DCAT dcat:distribution of the metadata is replaced by the transfer distributions', () => {
    expect(dsp).not.toHaveProperty('dcat:distribution');
  });

  it('survives JSON-LD expansion: every triple of the dataset node comes back from the DSP JSON', async () => {
    // A transfer distribution's format ("HttpData-PULL") and the offers' left operands ("dataspaceRole") are
    // relative IRIs under the DSP context, which jsonld's safe mode refuses to turn into RDF: the DCAT
    // metadata is checked without them.
    const { distribution: _transfer, hasPolicy: _offers, ...metadata } = dsp;
    const expanded = await jsonLdToQuads({ '@context': [CONTEXT.dspace], ...metadata });
    const key = (p: string, o: { termType: string; value: string }) => `${p} ${o.termType} ${o.value}`;
    const back = new Set(expanded.filter((q) => q.subject.value === DATASET_ID).map((q) => key(q.predicate.value, q.object)));
    const expected = datasetQuads(dataset, HOST).filter(
      (q) => q.subject.value === DATASET_ID && q.object.termType !== 'BlankNode' && q.predicate.value !== `${NS.dcat}distribution` && q.predicate.value !== `${NS.rdf}type`,
    );
    expect(expected.length).toBeGreaterThan(20);
    expect(expected.map((q) => key(q.predicate.value, q.object)).filter((k) => !back.has(k))).toEqual([]);
  });
});

describe('DSP 2025-1 catalog: the Catalog', () => {
  it('validates against catalog-schema.json, with @context an array holding only the DSP context', () => {
    const catalog = catalogToDsp(HOST, [dsp]);
    expect(dspSchemaErrors('catalog/catalog-schema.json', catalog)).toEqual([]);
    expect(catalog['@context']).toEqual([CONTEXT.dspace]);
    expect(catalog).toMatchObject({ '@id': HOST.catalogId, '@type': 'Catalog', participantId: HOST.participantId, dataset: [dsp] });
  });

  it('serves the connector DataService', () => {
    expect(catalogToDsp(HOST, []).service).toEqual([dataServiceJson(HOST)]);
    expect(dataServiceJson(HOST)).toEqual({ '@id': HOST.dataServiceId, '@type': 'DataService', endpointURL: HOST.dspEndpoint });
  });

  it('an empty catalog has no dataset key at all (no empty arrays: minItems 1) and still validates', () => {
    const empty = catalogToDsp(HOST, []);
    expect(empty).not.toHaveProperty('dataset');
    expect(dspSchemaErrors('catalog/catalog-schema.json', empty)).toEqual([]);
  });

  it('the check can fail: an empty dataset array does not validate', () => {
    expect(dspSchemaErrors('catalog/catalog-schema.json', { ...catalogToDsp(HOST, []), dataset: [] })).not.toEqual([]);
  });
});

describe('DSP 2025-1 catalog: CatalogError', () => {
  it('carries a string code and an array of reasons, and validates against catalog-error-schema.json', () => {
    const error = catalogError('404', ['no dataset urn:uuid:x']);
    expect(error).toEqual({ '@context': [CONTEXT.dspace], '@type': 'CatalogError', code: '404', reason: ['no dataset urn:uuid:x'] });
    expect(dspSchemaErrors('catalog/catalog-error-schema.json', error)).toEqual([]);
  });

  it('without reasons still gives one, since reason may not be an empty array', () => {
    expect(catalogError('500', []).reason).toEqual(['error']);
  });
});
