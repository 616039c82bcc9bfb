import { DataFactory, type Quad, Store } from 'n3';
import { describe, expect, it } from 'vitest';
import { catalogHost, catalogQuads, datasetQuads, distributionId } from '../../../catalog/rdf.ts';
import { NS } from '../../../vocab/namespaces.ts';
import { DATASET_ID, exampleDataset, HOST, NOW } from '../support/catalog.ts';

const { namedNode, literal } = DataFactory;
const TYPE = `${NS.rdf}type`;

/** The objects of (subject, predicate) in `quads`. */
function objects(quads: Quad[], subject: string, predicate: string) {
  return new Store(quads).getObjects(subject.startsWith('_:') ? DataFactory.blankNode(subject.slice(2)) : namedNode(subject), namedNode(predicate), null);
}
const values = (quads: Quad[], subject: string, predicate: string) => objects(quads, subject, predicate).map((o) => o.value);

describe('the catalog host of a connector', () => {
  it('derives the catalog, the DSP endpoint and its DataService from the public URL', () => {
    expect(catalogHost('https://hospital.example', 'did:web:hospital.example', 'Hospital')).toEqual({
      catalogId: 'https://hospital.example/catalog',
      dspEndpoint: 'https://hospital.example/dsp/2025-1',
      dataServiceId: 'https://hospital.example/dsp/2025-1#data-service',
      participantId: 'did:web:hospital.example',
      publisherName: 'Hospital',
    });
  });
});

describe('a dataset as DCAT-AP / HealthDCAT-AP triples', () => {
  const quads = datasetQuads(exampleDataset(), HOST);

  it('the dataset is a dcat:Dataset with a language-tagged dct:title per language', () => {
    expect(values(quads, DATASET_ID, TYPE)).toEqual([`${NS.dcat}Dataset`]);
    expect(objects(quads, DATASET_ID, `${NS.dct}title`)).toEqual([literal('Synthetic type 2 diabetes cohort', 'en'), literal('Cohorte synthétique de diabète de type 2', 'fr')]);
  });

  it('dct:accessRights is the IRI of the EU access-right authority table', () => {
    expect(values(quads, DATASET_ID, `${NS.dct}accessRights`)).toEqual(['http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC']);
  });

  it('dct:issued is an xsd:date for a date and an xsd:dateTime for a date-time; dct:modified an xsd:dateTime', () => {
    expect(objects(quads, DATASET_ID, `${NS.dct}issued`)).toEqual([literal('2026-03-04', namedNode(`${NS.xsd}date`))]);
    const later = datasetQuads(exampleDataset({ issued: '2026-03-04T10:00:00Z' }), HOST);
    expect(objects(later, DATASET_ID, `${NS.dct}issued`)).toEqual([literal('2026-03-04T10:00:00Z', namedNode(`${NS.xsd}dateTime`))]);
    expect(objects(quads, DATASET_ID, `${NS.dct}modified`)).toEqual([literal(NOW.toISOString(), namedNode(`${NS.xsd}dateTime`))]);
  });

  it('counts are xsd:nonNegativeInteger (healthdcatap:numberOfRecords, minTypicalAge)', () => {
    expect(objects(quads, DATASET_ID, `${NS.healthdcatap}numberOfRecords`)).toEqual([literal('3000', namedNode(`${NS.xsd}nonNegativeInteger`))]);
    expect(objects(quads, DATASET_ID, `${NS.healthdcatap}minTypicalAge`)).toEqual([literal('35', namedNode(`${NS.xsd}nonNegativeInteger`))]);
  });

  it('the publisher is a foaf:Agent with its name, mailbox, homepage and HealthDCAT-AP publisher type', () => {
    const [publisher] = objects(quads, DATASET_ID, `${NS.dct}publisher`);
    const id = `_:${publisher!.value}`;
    expect(publisher!.termType).toBe('BlankNode');
    expect(values(quads, id, TYPE)).toEqual([`${NS.foaf}Agent`]);
    expect(values(quads, id, `${NS.foaf}name`)).toEqual(['Centre Hospitalier Example']);
    expect(values(quads, id, `${NS.foaf}mbox`)).toEqual(['mailto:datasteward@hospital.example']);
    expect(values(quads, id, `${NS.foaf}homepage`)).toEqual(['https://hospital.example']);
    expect(values(quads, id, `${NS.healthdcatap}publisherType`)).toEqual(['http://example.org/healthDataHolderType/Hospital']);
    expect(objects(quads, id, `${NS.healthdcatap}trustedDataHolder`)).toEqual([literal('false', namedNode(`${NS.xsd}boolean`))]);
  });

  it('a publisher with an IRI is that named node, not a blank node', () => {
    const withId = datasetQuads(exampleDataset({ publisher: { name: 'Hospital', id: 'https://hospital.example/#org' } }), HOST);
    expect(objects(withId, DATASET_ID, `${NS.dct}publisher`)).toEqual([namedNode('https://hospital.example/#org')]);
  });

  it('the contact point is a vcard:Kind with a mailto: email and a URL', () => {
    const [kind] = values(quads, DATASET_ID, `${NS.dcat}contactPoint`);
    expect(values(quads, `_:${kind}`, TYPE)).toEqual([`${NS.vcard}Kind`]);
    expect(values(quads, `_:${kind}`, `${NS.vcard}hasEmail`)).toEqual(['mailto:datasteward@hospital.example']);
    expect(values(quads, `_:${kind}`, `${NS.vcard}hasURL`)).toEqual(['https://hospital.example/data']);
  });

  it('dct:temporal is a dct:PeriodOfTime with dcat:startDate and dcat:endDate', () => {
    const [period] = values(quads, DATASET_ID, `${NS.dct}temporal`);
    expect(values(quads, `_:${period}`, TYPE)).toEqual([`${NS.dct}PeriodOfTime`]);
    expect(values(quads, `_:${period}`, `${NS.dcat}startDate`)).toEqual(['2015-01-01']);
    expect(values(quads, `_:${period}`, `${NS.dcat}endDate`)).toEqual(['2025-12-31']);
  });

  it('keywords are language-tagged dcat:keyword literals', () => {
    expect(objects(quads, DATASET_ID, `${NS.dcat}keyword`)).toContainEqual(literal('diabète', 'fr'));
    expect(objects(quads, DATASET_ID, `${NS.dcat}keyword`)).toHaveLength(5);
  });

  it('optional properties the steward left out produce no triples', () => {
    const bare = datasetQuads(exampleDataset({ provenance: undefined, sample: undefined, temporal: undefined, contactPoint: undefined }), HOST);
    for (const p of [`${NS.dct}provenance`, `${NS.adms}sample`, `${NS.dct}temporal`, `${NS.dcat}contactPoint`]) expect(values(bare, DATASET_ID, p), p).toEqual([]);
  });

  describe('distributions', () => {
    it('are numbered after the dataset unless they have an IRI of their own', () => {
      expect(distributionId(DATASET_ID, undefined, 0)).toBe(`${DATASET_ID}#distribution-1`);
      expect(distributionId(DATASET_ID, 'urn:example:dist', 0)).toBe('urn:example:dist');
      expect(values(quads, DATASET_ID, `${NS.dcat}distribution`)).toEqual([`${DATASET_ID}#distribution-1`]);
    });

    it('are reached through the DSP endpoint (dcat:accessURL) and the connector DataService (dcat:accessService)', () => {
      const dist = `${DATASET_ID}#distribution-1`;
      expect(values(quads, dist, TYPE)).toEqual([`${NS.dcat}Distribution`]);
      expect(values(quads, dist, `${NS.dcat}accessURL`)).toEqual([HOST.dspEndpoint]);
      expect(values(quads, dist, `${NS.dcat}accessService`)).toEqual([HOST.dataServiceId]);
      expect(values(quads, dist, `${NS.dcatap}applicableLegislation`)).toEqual(exampleDataset().applicableLegislation);
    });

    it('without rights of their own, carry a dct:RightsStatement that the ODRL offers govern their use', () => {
      const [rights] = objects(quads, `${DATASET_ID}#distribution-1`, `${NS.dct}rights`);
      expect(rights!.termType).toBe('BlankNode');
      expect(values(quads, `_:${rights!.value}`, TYPE)).toEqual([`${NS.dct}RightsStatement`]);
      expect(values(quads, `_:${rights!.value}`, `${NS.rdfs}label`).join()).toMatch(/ODRL offers/);
    });

    it('a checksum becomes an spdx:Checksum with its algorithm IRI and an xsd:hexBinary value', () => {
      const input = exampleDataset();
      const withSum = datasetQuads({ ...input, distributions: [{ ...input.distributions[0]!, checksum: { algorithm: 'sha256', value: 'ab12' } }] }, HOST);
      const [sum] = values(withSum, `${DATASET_ID}#distribution-1`, `${NS.spdx}checksum`);
      expect(values(withSum, `_:${sum}`, `${NS.spdx}algorithm`)).toEqual([`${NS.spdx}checksumAlgorithm_sha256`]);
      expect(objects(withSum, `_:${sum}`, `${NS.spdx}checksumValue`)).toEqual([literal('ab12', namedNode(`${NS.xsd}hexBinary`))]);
    });
  });

  it('blank node labels derive from the dataset, so graphs of two datasets stored apart never share one', () => {
    const blanks = (qs: Quad[]) =>
      new Set(
        qs
          .flatMap((q) => [q.subject, q.object])
          .filter((t) => t.termType === 'BlankNode')
          .map((t) => t.value),
      );
    const other = datasetQuads(exampleDataset({ id: 'urn:uuid:another-dataset' }), HOST);
    expect(blanks(quads).size).toBeGreaterThan(0);
    expect([...blanks(quads)].filter((b) => blanks(other).has(b))).toEqual([]);
    expect(blanks(datasetQuads(exampleDataset(), HOST))).toEqual(blanks(quads));
  });
});

describe('the catalog node', () => {
  const quads = catalogQuads(HOST, [DATASET_ID, 'urn:uuid:second']);

  it('is a dcat:Catalog listing each dataset with dcat:dataset', () => {
    expect(values(quads, HOST.catalogId, TYPE)).toEqual([`${NS.dcat}Catalog`]);
    expect(values(quads, HOST.catalogId, `${NS.dcat}dataset`)).toEqual([DATASET_ID, 'urn:uuid:second']);
  });

  it('serves a dcat:DataService whose dcat:endpointURL is the DSP endpoint', () => {
    expect(values(quads, HOST.catalogId, `${NS.dcat}service`)).toEqual([HOST.dataServiceId]);
    expect(values(quads, HOST.dataServiceId, TYPE)).toEqual([`${NS.dcat}DataService`]);
    expect(values(quads, HOST.dataServiceId, `${NS.dcat}endpointURL`)).toEqual([HOST.dspEndpoint]);
  });

  it('is published by the participant and falls under the EHDS regulation', () => {
    expect(values(quads, HOST.catalogId, `${NS.dct}publisher`)).toEqual([HOST.participantId]);
    expect(values(quads, HOST.catalogId, `${NS.dcatap}applicableLegislation`)).toEqual(['http://data.europa.eu/eli/reg/2025/327/oj']);
  });

  it('an empty catalog lists no dataset', () => {
    expect(values(catalogQuads(HOST, []), HOST.catalogId, `${NS.dcat}dataset`)).toEqual([]);
  });
});
