import { createHash } from 'node:crypto';
import { DataFactory, type NamedNode, type Quad, type Quad_Object, type Quad_Subject } from 'n3';
import { NS } from '../vocab/namespaces.ts';
import type { Dataset } from './dataset.ts';
import { EU_AUTHORITY } from '../vocab/eu-vocabularies.ts';

const { namedNode, literal, blankNode, quad } = DataFactory;
const RDF_TYPE = namedNode(`${NS.rdf}type`);
const xsd = (t: string) => namedNode(`${NS.xsd}${t}`);
const H = NS.healthdcatap;
const EHDS_LEGISLATION = 'http://data.europa.eu/eli/reg/2025/327/oj';
const CONCEPT = `${NS.skos}Concept`;
const LEGAL_RESOURCE = `${NS.eli}LegalResource`;

/** Where this connector's catalog lives: its DataService and the catalog node itself. */
export interface CatalogHost {
  catalogId: string;
  /** The DSP endpoint (dcat:DataService endpointURL, distributions' accessURL). */
  dspEndpoint: string;
  dataServiceId: string;
  participantId: string;
  publisherName: string;
}

/** The catalog host of a connector at `publicUrl` (its DSP endpoint is publicUrl/dsp/2025-1). */
export function catalogHost(publicUrl: string, participantId: string, publisherName: string): CatalogHost {
  return {
    catalogId: `${publicUrl}/catalog`,
    dspEndpoint: `${publicUrl}/dsp/2025-1`,
    dataServiceId: `${publicUrl}/dsp/2025-1#data-service`,
    participantId,
    publisherName,
  };
}

class Graph {
  readonly quads: Quad[] = [];
  #blanks = 0;
  /** Blank node labels are derived from the owning resource, so graphs stored apart never share one. */
  readonly #scope: string;
  constructor(scope: string) {
    this.#scope = scope;
  }
  blank() {
    return blankNode(`${this.#scope}b${this.#blanks++}`);
  }
  add(s: Quad_Subject, p: string, o: Quad_Object | undefined): void {
    if (o !== undefined) this.quads.push(quad(s, namedNode(p), o));
  }
  readonly #typed = new Set<string>();
  /**
   * IRIs as values of `p`, each declared an instance of `classes` (the property's range; once per graph), as the
   * HealthDCAT-AP RDF template does: the range shapes check the class of every value in the data graph.
   */
  iris(s: Quad_Subject, p: string, values: string[] | undefined, ...classes: string[]): void {
    for (const v of values ?? []) {
      this.add(s, p, namedNode(v));
      for (const c of classes) {
        const key = `${v} ${c}`;
        if (this.#typed.has(key)) continue;
        this.#typed.add(key);
        this.add(namedNode(v), RDF_TYPE.value, namedNode(c));
      }
    }
  }
  texts(s: Quad_Subject, p: string, values: Record<string, string> | undefined): void {
    for (const [lang, text] of Object.entries(values ?? {})) this.add(s, p, literal(text, lang));
  }
  typed(s: Quad_Subject, p: string, value: string | number | boolean | undefined, type: string): void {
    if (value !== undefined) this.add(s, p, literal(String(value), xsd(type)));
  }
  /**
   * A concept the dataset describes itself (a code value, a health theme), declared a skos:Concept when it has a
   * label: the sensitive tier's shapes require a skos:prefLabel of every skos:Concept in the graph.
   */
  concept(s: Quad_Subject, p: string, concept: { id: string; label?: Record<string, string> | undefined }): NamedNode {
    const node = namedNode(concept.id);
    this.iris(s, p, [concept.id], ...(concept.label ? [CONCEPT] : []));
    this.texts(node, `${NS.skos}prefLabel`, concept.label);
    return node;
  }
  date(s: Quad_Subject, p: string, value: string | undefined): void {
    if (value) this.add(s, p, literal(value, xsd(value.includes('T') ? 'dateTime' : 'date')));
  }
  agent(
    s: Quad_Subject,
    p: string,
    agent: { name: string; id?: string; type?: string; email?: string; url?: string; publisherType?: string; publisherNote?: Record<string, string>; trustedDataHolder?: boolean },
  ): void {
    const node = agent.id ? namedNode(agent.id) : this.blank();
    if (agent.publisherType) this.add(node, `${H}publisherType`, namedNode(agent.publisherType));
    this.texts(node, `${H}publisherNote`, agent.publisherNote);
    this.typed(node, `${H}trustedDataHolder`, agent.trustedDataHolder, 'boolean');
    this.add(s, p, node);
    this.add(node, RDF_TYPE.value, namedNode(`${NS.foaf}Agent`));
    this.add(node, `${NS.foaf}name`, literal(agent.name));
    this.iris(node, `${NS.dct}type`, agent.type ? [agent.type] : []);
    if (agent.email) this.add(node, `${NS.foaf}mbox`, namedNode(`mailto:${agent.email}`));
    if (agent.url) this.add(node, `${NS.foaf}homepage`, namedNode(agent.url));
  }
  period(s: Quad_Subject, p: string, period: { start?: string; end?: string } | undefined): void {
    if (!period) return;
    const node = this.blank();
    this.add(s, p, node);
    this.add(node, RDF_TYPE.value, namedNode(`${NS.dct}PeriodOfTime`));
    this.date(node, `${NS.dcat}startDate`, period.start);
    this.date(node, `${NS.dcat}endDate`, period.end);
  }
}

/** The dataset as DCAT-AP / HealthDCAT-AP triples: what SHACL validates and what Turtle and JSON-LD carry. */
export function datasetQuads(dataset: Dataset, host: CatalogHost): Quad[] {
  const g = new Graph(scopeOf(dataset.id));
  const d = namedNode(dataset.id);
  g.add(d, RDF_TYPE.value, namedNode(`${NS.dcat}Dataset`));
  g.texts(d, `${NS.dct}title`, dataset.title);
  g.texts(d, `${NS.dct}description`, dataset.description);
  g.typed(d, `${NS.dct}identifier`, dataset.identifier, 'anyURI');
  g.agent(d, `${NS.dct}publisher`, dataset.publisher);
  if (dataset.contactPoint) {
    const kind = g.blank();
    g.add(d, `${NS.dcat}contactPoint`, kind);
    g.add(kind, RDF_TYPE.value, namedNode(`${NS.vcard}Kind`));
    if (dataset.contactPoint.name) g.add(kind, `${NS.vcard}fn`, literal(dataset.contactPoint.name));
    g.add(kind, `${NS.vcard}hasEmail`, namedNode(`mailto:${dataset.contactPoint.email}`));
    g.add(kind, `${NS.vcard}hasURL`, namedNode(dataset.contactPoint.url));
    // The open-data tier's shapes also read a contact point as a foaf:Agent (name, mbox, homepage).
    g.add(kind, `${NS.foaf}name`, literal(dataset.contactPoint.name ?? dataset.contactPoint.email));
    g.add(kind, `${NS.foaf}mbox`, namedNode(`mailto:${dataset.contactPoint.email}`));
    g.add(kind, `${NS.foaf}homepage`, namedNode(dataset.contactPoint.url));
  }
  g.iris(d, `${NS.dcat}theme`, dataset.themes);
  for (const [lang, words] of Object.entries(dataset.keywords ?? {})) for (const w of words) g.add(d, `${NS.dcat}keyword`, literal(w, lang));
  g.date(d, `${NS.dct}issued`, dataset.issued);
  g.add(d, `${NS.dct}modified`, literal(dataset.modified, xsd('dateTime')));
  g.iris(d, `${NS.dct}spatial`, dataset.spatial, `${NS.dct}Location`);
  g.period(d, `${NS.dct}temporal`, dataset.temporal);
  g.iris(d, `${NS.dct}accessRights`, [`${EU_AUTHORITY}access-right/${dataset.accessRights}`], `${NS.dct}RightsStatement`);
  g.iris(d, `${NS.dct}conformsTo`, dataset.conformsTo, `${NS.dct}Standard`);
  g.iris(d, `${NS.dct}language`, dataset.language, `${NS.dct}LinguisticSystem`);
  if (dataset.version) g.add(d, `${NS.dcat}version`, literal(dataset.version));
  g.iris(d, `${NS.dct}type`, dataset.type);
  if (dataset.provenance) {
    const statement = g.blank();
    g.add(d, `${NS.dct}provenance`, statement);
    g.add(statement, RDF_TYPE.value, namedNode(`${NS.dct}ProvenanceStatement`));
    g.texts(statement, `${NS.rdfs}label`, dataset.provenance);
  }
  for (const sample of dataset.sample ?? []) {
    const node = g.blank();
    g.add(d, `${NS.adms}sample`, node);
    g.add(node, RDF_TYPE.value, namedNode(`${NS.dcat}Distribution`));
    g.add(node, `${NS.dcat}accessURL`, namedNode(sample.accessURL));
    g.iris(node, `${NS.dcatap}applicableLegislation`, dataset.applicableLegislation, LEGAL_RESOURCE);
    g.texts(node, `${NS.dct}title`, sample.title);
  }
  g.iris(d, `${NS.dcatap}applicableLegislation`, dataset.applicableLegislation, LEGAL_RESOURCE);
  g.iris(d, `${H}healthCategory`, dataset.healthCategories);
  for (const theme of dataset.healthThemes ?? []) g.concept(d, `${H}healthTheme`, theme);
  g.typed(d, `${H}minTypicalAge`, dataset.minTypicalAge, 'nonNegativeInteger');
  g.typed(d, `${H}maxTypicalAge`, dataset.maxTypicalAge, 'nonNegativeInteger');
  g.typed(d, `${H}numberOfRecords`, dataset.numberOfRecords, 'nonNegativeInteger');
  g.typed(d, `${H}numberOfUniqueIndividuals`, dataset.numberOfUniqueIndividuals, 'nonNegativeInteger');
  g.texts(d, `${H}populationCoverage`, dataset.populationCoverage);
  g.iris(d, `${NS.dpv}hasPersonalData`, dataset.personalData, `${NS.dpv}PersonalData`);
  g.iris(d, `${NS.dqv}hasLegalBasis`, dataset.legalBasis, `${NS.dpv}LegalBasis`);
  g.iris(d, `${NS.dpv}hasPurpose`, dataset.purpose, `${NS.dpv}Purpose`);
  g.agent(d, `${H}hdab`, dataset.hdab);
  g.iris(d, `${H}hasCodingSystem`, dataset.hasCodingSystem, `${NS.dct}Standard`);
  for (const value of dataset.hasCodeValues ?? []) {
    const concept = g.concept(d, `${H}hasCodeValues`, value);
    g.typed(concept, `${NS.dct}identifier`, value.id, 'anyURI');
    g.add(concept, `${NS.skos}notation`, literal(value.notation));
    g.add(concept, `${NS.skos}inScheme`, namedNode(value.inScheme));
  }
  g.period(d, `${H}retentionPeriod`, dataset.retentionPeriod);
  dataset.distributions.forEach((dist, i) => {
    const node = namedNode(distributionId(dataset.id, dist.id, i));
    g.add(d, `${NS.dcat}distribution`, node);
    g.add(node, RDF_TYPE.value, namedNode(`${NS.dcat}Distribution`));
    g.texts(node, `${NS.dct}title`, dist.title);
    g.iris(node, `${NS.dct}format`, [dist.format], `${NS.dct}MediaTypeOrExtent`);
    g.iris(node, `${NS.dcat}mediaType`, [dist.mediaType], `${NS.dct}MediaType`);
    g.typed(node, `${NS.dcat}byteSize`, dist.byteSize, 'nonNegativeInteger');
    g.iris(node, `${NS.dcatap}applicableLegislation`, dataset.applicableLegislation, LEGAL_RESOURCE);
    if (dist.rights) g.iris(node, `${NS.dct}rights`, [dist.rights], `${NS.dct}RightsStatement`);
    else {
      const rights = g.blank();
      g.add(node, `${NS.dct}rights`, rights);
      g.add(rights, RDF_TYPE.value, namedNode(`${NS.dct}RightsStatement`));
      g.add(rights, `${NS.rdfs}label`, literal('Use is governed by the ODRL offers of this dataset, under a contract agreed over the Dataspace Protocol.', 'en'));
    }
    g.add(node, `${NS.dcat}accessURL`, namedNode(host.dspEndpoint));
    g.add(node, `${NS.dcat}accessService`, namedNode(host.dataServiceId));
    if (dist.checksum) {
      const sum = g.blank();
      g.add(node, `${NS.spdx}checksum`, sum);
      g.add(sum, RDF_TYPE.value, namedNode(`${NS.spdx}Checksum`));
      g.add(sum, `${NS.spdx}algorithm`, namedNode(`${NS.spdx}checksumAlgorithm_${dist.checksum.algorithm}`));
      g.add(sum, `${NS.spdx}checksumValue`, literal(dist.checksum.value, xsd('hexBinary')));
    }
  });
  return g.quads;
}

function scopeOf(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 12);
}

export function distributionId(datasetId: string, given: string | undefined, index: number): string {
  return given ?? `${datasetId}#distribution-${index + 1}`;
}

/** The catalog node and its DataService, which every published catalog carries. */
export function catalogQuads(host: CatalogHost, datasetIds: string[]): Quad[] {
  const g = new Graph('catalog');
  const c = namedNode(host.catalogId);
  const service = namedNode(host.dataServiceId);
  g.add(c, RDF_TYPE.value, namedNode(`${NS.dcat}Catalog`));
  g.add(c, `${NS.dct}title`, literal(`${host.publisherName} catalog`, 'en'));
  g.add(c, `${NS.dct}description`, literal(`Datasets published by ${host.publisherName} over the Dataspace Protocol`, 'en'));
  g.agent(c, `${NS.dct}publisher`, { name: host.publisherName, id: host.participantId });
  g.iris(c, `${NS.dcatap}applicableLegislation`, [EHDS_LEGISLATION], LEGAL_RESOURCE);
  g.add(c, `${NS.dcat}themeTaxonomy`, namedNode(`${EU_AUTHORITY}data-theme`));
  g.add(c, `${NS.dcat}service`, service);
  g.add(service, RDF_TYPE.value, namedNode(`${NS.dcat}DataService`));
  g.add(service, `${NS.dct}title`, literal(`${host.publisherName} Dataspace Protocol endpoint`, 'en'));
  g.add(service, `${NS.dcat}endpointURL`, namedNode(host.dspEndpoint));
  g.iris(service, `${NS.dcatap}applicableLegislation`, [EHDS_LEGISLATION], LEGAL_RESOURCE);
  for (const id of datasetIds) g.add(c, `${NS.dcat}dataset`, namedNode(id));
  return g.quads;
}
