import { DataFactory, type Quad, Store } from 'n3';
import { describe, expect, it } from 'vitest';
import { codeValue, migrateCodeValue } from '../../../catalog/coding-systems.ts';
import { DatasetInput } from '../../../catalog/dataset.ts';
import { datasetToDsp } from '../../../catalog/dsp.ts';
import { datasetQuads } from '../../../catalog/rdf.ts';
import { HEALTH_CATEGORY, migrateHealthCategory, PERSONAL_DATA } from '../../../vocab/eu-vocabularies.ts';
import { NS } from '../../../vocab/namespaces.ts';
import { DATASET_ID, exampleDataset, exampleInput, HOST, publishExample } from '../support/catalog.ts';

const { namedNode, literal } = DataFactory;
const H = NS.healthdcatap;
const SYNTHETIC = 'http://publications.europa.eu/resource/authority/dataset-type/SYNTHETIC_DATA';
const values = (quads: Quad[], subject: string, predicate: string) =>
  new Store(quads).getObjects(namedNode(subject), namedNode(predicate), null).map((o) => (o.termType === 'Literal' ? o : o.value));

async function rejection(overrides: Record<string, unknown>): Promise<string[]> {
  return publishExample(overrides).then(
    () => [],
    (e: { problems?: string[] }) => e.problems ?? [String(e)],
  );
}

describe('healthdcatap:hasCodeValues: concepts of the coding systems, never blank nodes', () => {
  const quads = datasetQuads(exampleDataset(), HOST);
  const hba1c = 'https://loinc.org/4548-4/';

  it('each code value is the concept IRI, a skos:Concept with its notation, label, dct:identifier and skos:inScheme its coding system', () => {
    expect(values(quads, DATASET_ID, `${H}hasCodeValues`)).toContain(hba1c);
    expect(new Store(quads).getObjects(namedNode(DATASET_ID), namedNode(`${H}hasCodeValues`), null).every((o) => o.termType === 'NamedNode')).toBe(true);
    expect(values(quads, hba1c, `${NS.rdf}type`)).toEqual([`${NS.skos}Concept`]);
    expect(values(quads, hba1c, `${NS.skos}notation`)).toEqual([literal('4548-4')]);
    expect(values(quads, hba1c, `${NS.skos}inScheme`)).toEqual(['http://loinc.org']);
    expect(values(quads, hba1c, `${NS.skos}prefLabel`)).toEqual([literal('Hemoglobin A1c/Hemoglobin.total in Blood', 'en')]);
    expect(values(quads, hba1c, `${NS.dct}identifier`)).toEqual([literal(hba1c, namedNode(`${NS.xsd}anyURI`))]);
  });

  it('the coding systems are dct:Standard (the range of healthdcatap:hasCodingSystem)', () => {
    expect(values(quads, 'http://loinc.org', `${NS.rdf}type`)).toEqual([`${NS.dct}Standard`]);
  });

  it('the DSP Dataset embeds each code value with its notation and scheme', () => {
    const dsp = datasetToDsp(exampleDataset(), quads, HOST) as Record<string, any>;
    expect(dsp[`${H}hasCodeValues`]).toContainEqual(
      expect.objectContaining({ '@id': hba1c, [`${NS.skos}notation`]: ['4548-4'], [`${NS.skos}inScheme`]: [{ '@id': 'http://loinc.org' }] }),
    );
  });

  it('a concept IRI comes from the coding system: LOINC as loinc.org pages, SNOMED CT from its URI standard', () => {
    expect(codeValue('http://loinc.org', '2345-7').id).toBe('https://loinc.org/2345-7/');
    expect(codeValue('http://snomed.info/sct', '44054006').id).toBe('http://snomed.info/id/44054006');
    expect(codeValue('urn:oid:1.2.3', 'X1')).toEqual({ id: 'urn:oid:1.2.3#X1', notation: 'X1', inScheme: 'urn:oid:1.2.3' });
  });

  it('the form stored before, { code: "<system>#<code>", scheme }, is read as the concept it names', () => {
    const parsed = DatasetInput.parse(exampleInput({ hasCodeValues: [{ code: 'http://loinc.org#4548-4', scheme: 'http://loinc.org' }] }));
    expect(parsed.hasCodeValues).toEqual([{ id: hba1c, notation: '4548-4', inScheme: 'http://loinc.org' }]);
    expect(migrateCodeValue({ code: 'https://example.org/codes/A1', scheme: 'https://example.org/codes' })).toEqual({
      id: 'https://example.org/codes/A1',
      notation: 'A1',
      inScheme: 'https://example.org/codes',
    });
  });

  it('what is neither form is refused, saying what a code value is', () => {
    const parsed = DatasetInput.safeParse(
      exampleInput({ hasCodeValues: [{ id: 'https://loinc.org/4548-4/' }], type: 'personal', healthThemes: [{ id: 'http://www.wikidata.org/entity/Q3025883' }] }),
    );
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'type: must be IRIs of dataset types (a list, or one IRI)',
      'healthThemes.0: must be an IRI or { id: IRI, label }',
      'hasCodeValues.0: must be a concept { id: IRI, notation, inScheme: IRI of its coding system, label? }',
    ]);
  });

  it('a code value outside hasCodingSystem is refused', async () => {
    const stray = { id: 'https://loinc.org/1558-6/', notation: '1558-6', inScheme: 'http://loinc.org/other' };
    expect(await rejection({ hasCodeValues: [stray] })).toEqual(['hasCodeValues.0.inScheme: http://loinc.org/other is not one of hasCodingSystem']);
  });
});

describe('dct:type: several dataset types, PERSONAL_DATA among them when the dataset holds personal data', () => {
  it('the example is personal data and synthetic', () => {
    expect(values(datasetQuads(exampleDataset(), HOST), DATASET_ID, `${NS.dct}type`)).toEqual([PERSONAL_DATA, SYNTHETIC]);
  });

  it('a single IRI, as stored before, is a list of one', () => {
    expect(DatasetInput.parse(exampleInput({ type: SYNTHETIC })).type).toEqual([SYNTHETIC]);
  });

  it('a dataset that declares personal data without the PERSONAL_DATA type is refused', async () => {
    expect(await rejection({ type: [SYNTHETIC] })).toEqual([`type: must include ${PERSONAL_DATA}, as the dataset declares personalData (HealthDCAT-AP)`]);
  });

  it('the sensitive tier (one dct:type at most) publishes it: a documented conflict with the vocabulary shapes', async () => {
    expect(await rejection({})).toEqual([]);
  });
});

describe('healthdcatap:healthCategory from the EU health-category vocabulary', () => {
  it('the example is electronic health records (EHRS)', () => {
    expect(exampleDataset().healthCategories).toEqual([HEALTH_CATEGORY.EHRS]);
  });

  it('the category IRI this connector published before is read as its EU concept; others as given', () => {
    expect(DatasetInput.parse(exampleInput({ healthCategories: ['http://healthdataportal.eu/ns/health-category#EHR'] })).healthCategories).toEqual([HEALTH_CATEGORY.EHRS]);
    expect(migrateHealthCategory('https://example.org/category/X')).toBe('https://example.org/category/X');
  });
});

describe('healthdcatap:healthTheme', () => {
  it('a theme with a label is a skos:Concept with its skos:prefLabel; a bare IRI is accepted as before', () => {
    const quads = datasetQuads(exampleDataset(), HOST);
    const theme = 'http://www.wikidata.org/entity/Q3025883';
    expect(values(quads, theme, `${NS.rdf}type`)).toEqual([`${NS.skos}Concept`]);
    expect(values(quads, theme, `${NS.skos}prefLabel`)).toEqual([literal('type 2 diabetes', 'en')]);
    const bare = datasetQuads(exampleDataset({ healthThemes: [theme] }), HOST);
    expect(values(bare, DATASET_ID, `${H}healthTheme`)).toEqual([theme]);
    expect(values(bare, theme, `${NS.rdf}type`)).toEqual([]);
  });
});
