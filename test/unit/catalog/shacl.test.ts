import type { Quad } from 'n3';
import { describe, expect, it } from 'vitest';
import { type AccessTier, tierOf } from '../../../catalog/dataset.ts';
import { catalogQuads, datasetQuads } from '../../../catalog/rdf.ts';
import { validateAgainstTier } from '../../../catalog/shacl.ts';
import { iri } from '../../../vocab/namespaces.ts';
import { DATASET_ID, exampleDataset, HOST } from '../support/catalog.ts';

type Curie = Parameters<typeof iri>[0];
const TIERS: AccessTier[] = ['opendata', 'protected', 'sensitive'];
const ACCESS_RIGHTS = { opendata: 'PUBLIC', protected: 'RESTRICTED', sensitive: 'NON_PUBLIC' } as const;

/** The example dataset of `tier` with its catalog, less every triple of `property` on the dataset node. */
function graphWithout(tier: AccessTier, property?: Curie): Quad[] {
  const dataset = exampleDataset({ accessRights: ACCESS_RIGHTS[tier] });
  const quads = [...datasetQuads(dataset, HOST), ...catalogQuads(HOST, [dataset.id])];
  return property ? quads.filter((q) => !(q.subject.value === DATASET_ID && q.predicate.value === iri(property))) : quads;
}

/**
 * Mandatory properties of a dataset per HealthDCAT-AP tier, as the bundled shapes state them (sh:minCount 1):
 * the open-data tier's are mandatory in every tier; the protected tier adds a HealthDCAT-AP publisher; the
 * sensitive tier adds contact point, keywords, spatial coverage, type, provenance, sample, health theme and purpose.
 */
const MANDATORY: [property: Curie, tiers: AccessTier[]][] = [
  ['dct:title', TIERS],
  ['dct:description', TIERS],
  ['dct:identifier', TIERS],
  ['dct:accessRights', TIERS],
  ['dcat:theme', TIERS],
  ['dcat:distribution', TIERS],
  ['dcatap:applicableLegislation', TIERS],
  ['healthdcatap:healthCategory', TIERS],
  ['healthdcatap:hdab', TIERS],
  ['dct:publisher', ['protected', 'sensitive']],
  ['dcat:contactPoint', ['sensitive']],
  ['dcat:keyword', ['sensitive']],
  ['dct:spatial', ['sensitive']],
  ['dct:type', ['sensitive']],
  ['dct:provenance', ['sensitive']],
  ['adms:sample', ['sensitive']],
  ['healthdcatap:healthTheme', ['sensitive']],
  ['dpv:hasPurpose', ['sensitive']],
];

describe('SHACL validation against the HealthDCAT-AP shapes of the access tier', () => {
  for (const tier of TIERS) {
    it(`the example dataset conforms to the ${tier} shapes`, async () => {
      expect(tierOf({ accessRights: ACCESS_RIGHTS[tier] })).toBe(tier);
      expect(await validateAgainstTier(graphWithout(tier), tier)).toEqual([]);
    });
  }

  for (const [property, tiers] of MANDATORY) {
    for (const tier of TIERS) {
      const mandatory = tiers.includes(tier);
      it(`${property} is ${mandatory ? 'mandatory' : 'optional'} for a dataset of the ${tier} tier`, async () => {
        const violations = await validateAgainstTier(graphWithout(tier, property), tier);
        if (mandatory) expect(violations).toContainEqual({ field: property, focus: DATASET_ID, message: expect.any(String) });
        else expect(violations).toEqual([]);
      });
    }
  }

  it('a violation names the property as a prefixed name, the node it concerns and the shape message', async () => {
    const [violation] = await validateAgainstTier(graphWithout('sensitive', 'dct:provenance'), 'sensitive');
    expect(violation).toEqual({ field: 'dct:provenance', focus: DATASET_ID, message: 'Each dcat:Dataset must have at least one dct:provenance.' });
  });

  it('a violation inside a nested (blank) node reads "(nested node)" instead of a blank node label', async () => {
    const quads = graphWithout('sensitive').filter((q) => !(q.subject.termType === 'BlankNode' && q.predicate.value === iri('foaf:name')));
    const violations = await validateAgainstTier(quads, 'sensitive');
    expect(violations.some((v) => v.focus === '(nested node)')).toBe(true);
    expect(violations.every((v) => !v.focus.startsWith('_:') && !/^[0-9a-f]{12}b\d+$/.test(v.focus))).toBe(true);
  });
});
