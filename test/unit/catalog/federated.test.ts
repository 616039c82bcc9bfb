import { describe, expect, it } from 'vitest';
import { datasetToDsp } from '../../../catalog/dsp.ts';
import { summarizeDataset } from '../../../catalog/federated.ts';
import { datasetQuads } from '../../../catalog/rdf.ts';
import { NS } from '../../../vocab/namespaces.ts';
import { DATASET_ID, exampleDataset, HOST } from '../support/catalog.ts';

const HEALTH_THEME = 'http://publications.europa.eu/resource/authority/data-theme/HEAL';
const EHR = 'http://publications.europa.eu/resource/authority/health-category/EHRS';
const LUX = 'http://publications.europa.eu/resource/authority/country/LUX';

describe('the federated catalog reads a peer DSP Dataset (summarizeDataset)', () => {
  const dataset = exampleDataset();
  const summary = summarizeDataset(datasetToDsp(dataset, datasetQuads(dataset, HOST), HOST))!;

  it('reads back what this connector publishes: id, titles in every language, description, keywords', () => {
    expect(summary.id).toBe(DATASET_ID);
    expect(summary.title).toBe('Synthetic type 2 diabetes cohort / Cohorte synthétique de diabète de type 2');
    expect(summary.description).toMatch(/^Adults diagnosed with type 2 diabetes/);
    expect(summary.keywords).toEqual(['diabetes', 'HbA1c', 'glucose', 'FHIR', 'diabète']);
  });

  it('indexes the facets: themes, HealthDCAT-AP health categories, publishers and spatial coverage', () => {
    expect(summary.facets.themes).toEqual([HEALTH_THEME]);
    expect(summary.facets.healthCategories).toEqual([EHR]);
    expect(summary.facets.spatial).toEqual([LUX, ...['FRA', 'BEL', 'DEU'].map((c) => `http://publications.europa.eu/resource/authority/country/${c}`)]);
    expect(summary.facets.publishers).toContain('Centre Hospitalier Example');
  });

  it('keeps the offers (hasPolicy) to negotiate on', () => {
    expect(summary.offers).toEqual([expect.objectContaining({ '@type': 'Offer', '@id': 'urn:uuid:7f0c1d6e-diabetes-research-offer' })]);
  });

  it('a publisher with an IRI is indexed by that IRI', () => {
    const withIri = exampleDataset({ publisher: { name: 'Hospital', id: 'did:web:hospital.example' } });
    const read = summarizeDataset(datasetToDsp(withIri, datasetQuads(withIri, HOST), HOST))!;
    expect(read.facets.publishers).toEqual(['did:web:hospital.example']);
  });

  it('is tolerant of how a peer writes its JSON: full IRI keys, single values, plain strings', () => {
    const read = summarizeDataset({
      '@id': 'urn:peer:1',
      [`${NS.dct}title`]: 'Registry',
      [`${NS.dct}description`]: { '@value': 'A cancer registry', '@language': 'en' },
      [`${NS.dcat}keyword`]: ['oncology', { '@value': 'registry' }],
      [`${NS.dcat}theme`]: HEALTH_THEME,
      [`${NS.dct}spatial`]: { '@id': LUX },
      [`${NS.dct}publisher`]: { '@id': 'did:web:registry.example', [`${NS.foaf}name`]: 'Cancer Registry' },
      hasPolicy: { '@type': 'Offer', '@id': 'urn:offer:1' },
    });
    expect(read).toEqual({
      id: 'urn:peer:1',
      title: 'Registry',
      description: 'A cancer registry',
      keywords: ['oncology', 'registry'],
      facets: { themes: [HEALTH_THEME], healthCategories: [], healthThemes: [], publishers: ['did:web:registry.example', 'Cancer Registry'], spatial: [LUX], accessRights: [] },
      offers: [{ '@type': 'Offer', '@id': 'urn:offer:1' }],
    });
  });

  it('reads the unprefixed title, description and keyword terms too', () => {
    const read = summarizeDataset({ '@id': 'urn:peer:2', title: 'Plain', description: 'Words', keyword: 'k' })!;
    expect([read.title, read.description, read.keywords]).toEqual(['Plain', 'Words', ['k']]);
  });

  it('a dataset without a title is listed under its @id; without offers it has none', () => {
    const read = summarizeDataset({ '@id': 'urn:peer:untitled' })!;
    expect(read.title).toBe('urn:peer:untitled');
    expect(read.offers).toEqual([]);
    expect(read.keywords).toEqual([]);
  });

  it('values that are neither strings nor value/id objects are ignored', () => {
    const read = summarizeDataset({ '@id': 'urn:peer:3', 'dct:title': [42, null, { '@value': 7 }, 'Kept'], 'dcat:theme': [{ '@value': 'not an id' }, HEALTH_THEME] })!;
    expect(read.title).toBe('Kept');
    expect(read.facets.themes).toEqual([HEALTH_THEME]);
  });

  it('anything that is not a node with an @id is no dataset', () => {
    for (const node of [undefined, null, 'urn:peer:1', 42, [], {}, { '@id': 7 }]) expect(summarizeDataset(node), JSON.stringify(node)).toBeUndefined();
  });
});
