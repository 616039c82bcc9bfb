import { readFileSync } from 'node:fs';
import { Parser, type Quad } from 'n3';
import { describe, expect, it } from 'vitest';
import { prepareDataset, turtleBody, turtlePrefixes } from '../../catalog/publication.ts';
import { catalogHost, catalogQuads } from '../../catalog/rdf.ts';
import { SHAPE_CONFLICTS, type ShapesFile, validateAgainst } from '../../catalog/shacl.ts';
import { cohortEntry } from '../../scripts/dataspace/contract-steps.ts';
import { EU_AUTHORITY } from '../../vocab/eu-vocabularies.ts';
import { compactIri, NS } from '../../vocab/namespaces.ts';

/**
 * The controlled-vocabulary and range shapes of HealthDCAT-AP (catalog/shapes/HealthDCAT-AP_mdr-vocabularies-shapes.ttl,
 * HealthDCAT-AP_ranges.ttl) on the catalog as peers read it, with the facts of the EU vocabularies it uses
 * (catalog/shapes/eu-vocabularies.ttl) beside it, since the vocabularies are not bundled.
 */
const VOCABULARY_SHAPES: ShapesFile[] = ['mdr-vocabularies-shapes', 'ranges'];
const EU_VOCABULARIES = new Parser().parse(readFileSync(new URL('../../catalog/shapes/eu-vocabularies.ttl', import.meta.url), 'utf8'));
const EXAMPLE = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));
/** The hospital of `npm run dataspace` (base port 8700). */
const HOSPITAL = catalogHost('http://127.0.0.1:8701', 'did:web:127.0.0.1%3A8701', 'Centre Hospitalier Example');

/** The catalog with one dataset, as GET /catalog serves it in Turtle, parsed back. */
async function publishedCatalog(raw: Record<string, unknown>): Promise<Quad[]> {
  const published = await prepareDataset({ id: 'urn:uuid:5a1c0a5e-0000-4000-8000-00000000cafe', ...raw }, HOSPITAL, { sourceBytes: 13_941_554 });
  return new Parser().parse(`${turtlePrefixes()}\n${turtleBody(catalogQuads(HOSPITAL, [published.dataset.id]))}\n${published.turtle}`);
}

const violations = async (quads: Quad[], options = {}) =>
  (await Promise.all(VOCABULARY_SHAPES.map((shapes) => validateAgainst([...quads, ...EU_VOCABULARIES], shapes, options)))).flat();

const ENTRIES: [string, Record<string, unknown>][] = [
  ['the example dataset (examples/datasets/diabetes-cohort.json)', EXAMPLE],
  ["the local dataspace's published cohort entry", cohortEntry(3000)],
];

describe('HealthDCAT-AP controlled vocabularies and ranges', () => {
  for (const [name, entry] of ENTRIES) {
    it(`${name} conforms, but for the documented conflicts of the shapes with the specification`, async () => {
      expect(await violations(await publishedCatalog(entry))).toEqual([]);
    });
  }

  it('what is waived is exactly the documented conflicts: Wikidata IRIs for hasCodeValues and hasCodingSystem', async () => {
    const raw = await violations(await publishedCatalog(EXAMPLE), { waive: false });
    const documented = SHAPE_CONFLICTS.filter((c) => c.shapes.some((s) => VOCABULARY_SHAPES.includes(s))).map((c) => compactIri(c.path));
    expect([...new Set(raw.map((v) => v.field))].sort()).toEqual(documented.sort());
    // One per code value and per coding system: 4 and 3.
    expect(raw.map((v) => v.field).sort()).toEqual([...Array(4).fill('healthdcatap:hasCodeValues'), ...Array(3).fill('healthdcatap:hasCodingSystem')]);
    for (const conflict of SHAPE_CONFLICTS) expect(conflict.reason.length).toBeGreaterThan(40);
  });

  it('a health category outside the EU health-category vocabulary is a violation', async () => {
    const found = await violations(await publishedCatalog({ ...EXAMPLE, healthCategories: ['http://healthdataportal.eu/ns/health-category#REGISTRY'] }));
    expect(found).toContainEqual(expect.objectContaining({ field: 'healthdcatap:healthCategory', message: expect.stringMatching(/HealthCategoryRestriction/) }));
  });

  it('a dataset without the PERSONAL_DATA type is a violation', async () => {
    const { personalData: _personalData, ...withoutPersonalData } = EXAMPLE;
    const found = await violations(await publishedCatalog({ ...withoutPersonalData, type: [`${EU_AUTHORITY}dataset-type/SYNTHETIC_DATA`] }));
    expect(found).toContainEqual(expect.objectContaining({ field: 'dct:type', message: expect.stringMatching(/PERSONAL_DATA/) }));
  });

  it('a code value without a label is not declared a skos:Concept, which the range shapes report', async () => {
    const unlabelled = { id: 'https://loinc.org/4548-4/', notation: '4548-4', inScheme: 'http://loinc.org' };
    const found = await violations(await publishedCatalog({ ...EXAMPLE, hasCodeValues: [unlabelled] }));
    expect(found).toEqual([{ field: 'healthdcatap:hasCodeValues', focus: expect.any(String), message: expect.stringMatching(/ClassConstraintComponent/) }]);
  });

  it('eu-vocabularies.ttl holds exactly the EU concepts the entries use (and the access right of each tier)', async () => {
    const isEu = (iri: string) => iri.startsWith(EU_AUTHORITY) || iri.startsWith('http://purl.org/adms/publishertype/');
    const used = new Set<string>();
    for (const [, entry] of ENTRIES) for (const q of await publishedCatalog(entry)) if (q.object.termType === 'NamedNode' && isEu(q.object.value)) used.add(q.object.value);
    for (const right of ['PUBLIC', 'RESTRICTED']) used.add(`${EU_AUTHORITY}access-right/${right}`);
    // The catalog names the data-theme table (dcat:themeTaxonomy): a scheme, not a concept.
    for (const q of EU_VOCABULARIES) if (q.object.value === `${NS.skos}ConceptScheme`) used.delete(q.subject.value);
    const declared = new Set(EU_VOCABULARIES.filter((q) => q.predicate.value === `${NS.skos}inScheme`).map((q) => q.subject.value));
    expect([...declared].sort()).toEqual([...used].sort());
  });
});
