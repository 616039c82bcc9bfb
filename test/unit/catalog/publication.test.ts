import { DataFactory, type Quad } from 'n3';
import { describe, expect, it } from 'vitest';
import { datasetToDsp } from '../../../catalog/dsp.ts';
import { DatasetRejected, describeViolation, jsonLdNodes, prepareDataset, TURTLE_PREFIXES, turtleBody, turtlePrefixes } from '../../../catalog/publication.ts';
import { catalogQuads, datasetQuads } from '../../../catalog/rdf.ts';
import { NS } from '../../../vocab/namespaces.ts';
import { isomorphic, jsonLdToQuads, turtleToQuads } from '../../../vocab/rdf.ts';
import { DATASET_ID, exampleDataset, exampleInput, HOST, NOW, publishExample, SOURCE_BYTES } from '../support/catalog.ts';

/** The problems prepareDataset names for `input`, or [] when it publishes. */
async function rejection(input: unknown, options: Parameters<typeof prepareDataset>[2] = { sourceBytes: SOURCE_BYTES, now: NOW }): Promise<string[]> {
  try {
    await prepareDataset(input, HOST, options);
    return [];
  } catch (error) {
    if (!(error instanceof DatasetRejected)) throw error;
    return error.problems;
  }
}

describe('registering a dataset (prepareDataset)', () => {
  it('validates the model first and names every field at fault, with its path', async () => {
    const problems = await rejection(exampleInput({ title: undefined, themes: ['Health'], hdab: undefined }));
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^title: /), 'themes.0: must be an IRI', expect.stringMatching(/^hdab: /)]));
    expect(problems).toHaveLength(3);
  });

  it('a body that is no object at all is named "(body)"', async () => {
    expect(await rejection('not a dataset')).toEqual([expect.stringMatching(/^\(body\): /)]);
  });

  it('DatasetRejected carries the problems and says them in its message', async () => {
    const error = await prepareDataset(exampleInput({ themes: ['Health'] }), HOST).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetRejected);
    expect((error as DatasetRejected).name).toBe('DatasetRejected');
    expect((error as DatasetRejected).message).toBe('The dataset is not valid: themes.0: must be an IRI');
  });

  it('refuses a minimum typical age above the maximum', async () => {
    expect(await rejection(exampleInput({ minTypicalAge: 70, maxTypicalAge: 18 }))).toEqual(['minTypicalAge: must not exceed maxTypicalAge']);
    expect(await rejection(exampleInput({ minTypicalAge: 18, maxTypicalAge: 18 }))).toEqual([]);
  });

  describe('then validates against the SHACL shapes of its access tier', () => {
    it('a sensitive (NON_PUBLIC) dataset without dct:provenance is refused, naming the property and the dataset', async () => {
      expect(await rejection(exampleInput({ provenance: undefined }))).toEqual([`dct:provenance on ${DATASET_ID}: Each dcat:Dataset must have at least one dct:provenance.`]);
    });

    it('the same dataset as open data (PUBLIC) publishes: the open-data tier does not require provenance', async () => {
      expect(await rejection(exampleInput({ provenance: undefined, accessRights: 'PUBLIC' }))).toEqual([]);
    });

    it('a distribution needs its dcat:byteSize, which a file source supplies when the steward gives none', async () => {
      expect((await rejection(exampleInput(), { now: NOW })).join()).toMatch(/dcat:distribution/);
      const published = await publishExample();
      expect(published.dataset.distributions[0]!.byteSize).toBe(SOURCE_BYTES);
    });

    it('a byte size the steward gives wins over the measured one', async () => {
      const input = exampleInput();
      input.distributions[0].byteSize = 42;
      const published = await prepareDataset(input, HOST, { sourceBytes: SOURCE_BYTES, now: NOW });
      expect(published.dataset.distributions[0]!.byteSize).toBe(42);
    });
  });

  describe('what the connector maintains', () => {
    it('keeps the dataset IRI given; without one, mints a urn:uuid', async () => {
      expect((await publishExample()).dataset.id).toBe(DATASET_ID);
      const minted = await prepareDataset(exampleInput({ id: undefined }), HOST, { sourceBytes: SOURCE_BYTES, now: NOW });
      expect(minted.dataset.id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    });

    it('dct:identifier defaults to the dataset IRI', async () => {
      expect((await publishExample()).dataset.identifier).toBe(DATASET_ID);
      expect((await publishExample({ identifier: 'DIAB-2025' })).dataset.identifier).toBe('DIAB-2025');
    });

    it('dct:issued defaults to the day of registration and dct:modified is its instant', async () => {
      const { dataset } = await publishExample();
      expect(dataset.issued).toBe('2026-03-04');
      expect(dataset.modified).toBe('2026-03-04T05:06:07.000Z');
    });

    it('an update keeps the identity and the issue date of the previous version and moves dct:modified', async () => {
      const previous = (await publishExample()).dataset;
      const later = new Date('2026-05-01T00:00:00.000Z');
      const { dataset } = await prepareDataset(exampleInput({ id: 'urn:uuid:ignored-on-update' }), HOST, { previous, sourceBytes: SOURCE_BYTES, now: later });
      expect(dataset.id).toBe(DATASET_ID);
      expect(dataset.issued).toBe('2026-03-04');
      expect(dataset.modified).toBe(later.toISOString());
    });
  });
});

describe('the forms a published dataset is served in', () => {
  const dataset = exampleDataset();
  const quads = datasetQuads(dataset, HOST);

  it('the Turtle and the JSON-LD are the same graph as the dataset triples (isomorphic)', async () => {
    const published = await publishExample();
    const fromTurtle = turtleToQuads(`${turtlePrefixes()}\n${published.turtle}`);
    const fromJsonLd = await jsonLdToQuads(JSON.parse(`[${published.jsonld}]`));
    expect(await isomorphic(fromTurtle, quads)).toBe(true);
    expect(await isomorphic(fromJsonLd, quads)).toBe(true);
  });

  it('the check can fail: a graph with one literal changed is not isomorphic', async () => {
    const changed = quads.map((q) => (q.predicate.value === `${NS.dcat}version` ? DataFactory.quad(q.subject, q.predicate, DataFactory.literal('2.0')) : q)) as Quad[];
    expect(await isomorphic(changed, quads)).toBe(false);
  });

  it('the Turtle body declares no prefixes; the export declares each prefix once', () => {
    const body = turtleBody(quads);
    expect(body).not.toMatch(/@prefix/);
    expect(body).toMatch(/dcat:Dataset/);
    const prefixes = turtlePrefixes().split('\n');
    expect(prefixes).toHaveLength(Object.keys(TURTLE_PREFIXES).length);
    expect(prefixes).toContain(`@prefix healthdcatap: <${NS.healthdcatap}> .`);
  });

  it('the JSON-LD is one node object per subject, with full IRIs and blank nodes as _: labels', () => {
    const nodes = JSON.parse(`[${jsonLdNodes(quads)}]`) as Record<string, any>[];
    expect(new Set(nodes.map((n) => n['@id'])).size).toBe(nodes.length);
    const node = nodes.find((n) => n['@id'] === DATASET_ID)!;
    expect(node['@type']).toEqual([`${NS.dcat}Dataset`]);
    expect(node[`${NS.dct}title`]).toContainEqual({ '@value': 'Synthetic type 2 diabetes cohort', '@language': 'en' });
    expect(node[`${NS.dct}publisher`][0]['@id']).toMatch(/^_:/);
    expect(node[`${NS.healthdcatap}numberOfRecords`]).toEqual([{ '@value': '3000', '@type': `${NS.xsd}nonNegativeInteger` }]);
  });

  it('the catalog node serialises the same way', async () => {
    const catalog = catalogQuads(HOST, [DATASET_ID]);
    expect(await isomorphic(turtleToQuads(`${turtlePrefixes()}\n${turtleBody(catalog)}`), catalog)).toBe(true);
    expect(await isomorphic(await jsonLdToQuads(JSON.parse(`[${jsonLdNodes(catalog)}]`)), catalog)).toBe(true);
  });

  it('the stored DSP JSON is the DSP Dataset view', async () => {
    const published = await publishExample();
    expect(JSON.parse(published.dsp)).toEqual(datasetToDsp(published.dataset, datasetQuads(published.dataset, HOST), HOST));
  });

  it('the search text is the lower-cased titles, descriptions and keywords in every language', async () => {
    const { searchText } = await publishExample();
    expect(searchText).toBe(searchText.toLowerCase());
    for (const words of ['synthetic type 2 diabetes cohort', 'cohorte synthétique', 'hba1c', 'diabète', 'fhir r4 ndjson']) expect(searchText).toContain(words);
    expect(searchText).not.toContain('luxembourg health data access body');
  });
});

describe('describeViolation', () => {
  it('names the field, the node it concerns and the message', () => {
    expect(describeViolation({ field: 'dct:title', focus: DATASET_ID, message: 'A dct:title is required.' })).toBe(`dct:title on ${DATASET_ID}: A dct:title is required.`);
  });

  it('leaves out a nested node, which has no name a steward would know', () => {
    expect(describeViolation({ field: 'foaf:name', focus: '(nested node)', message: 'A name is required.' })).toBe('foaf:name: A name is required.');
    expect(describeViolation({ field: 'foaf:name', focus: '', message: 'A name is required.' })).toBe('foaf:name: A name is required.');
  });
});
