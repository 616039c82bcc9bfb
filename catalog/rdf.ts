import { createHash } from 'node:crypto';
import { DataFactory, type Quad, type Quad_Object, type Quad_Subject } from 'n3';
import { NS } from '../vocab/namespaces.ts';
import type { Dataset } from './dataset.ts';

const { namedNode, literal, blankNode, quad } = DataFactory;
const RDF_TYPE = namedNode(`${NS.rdf}type`);
const xsd = (t: string) => namedNode(`${NS.xsd}${t}`);
const H = NS.healthdcatap;
const EHDS_LEGISLATION = 'http://data.europa.eu/eli/reg/2025/327/oj';

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
  iris(s: Quad_Subject, p: string, values: string[] | undefined): void {
    for (const v of values ?? []) this.add(s, p, namedNode(v));
  }
  texts(s: Quad_Subject, p: string, values: Record<string, string> | undefined): void {
    for (const [lang, text] of Object.entries(values ?? {})) this.add(s, p, literal(text, lang));
  }
  typed(s: Quad_Subject, p: string, value: string | number | boolean | undefined, type: string): void {
    if (value !== undefined) this.add(s, p, literal(String(value), xsd(type)));
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
    if (agent.type) this.add(node, `${NS.dct}type`, namedNode(agent.type));
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
  g.iris(d, `${NS.dct}spatial`, dataset.spatial);
  g.period(d, `${NS.dct}temporal`, dataset.temporal);
  g.add(d, `${NS.dct}accessRights`, namedNode(`http://publications.europa.eu/resource/authority/access-right/${dataset.accessRights}`));
  g.iris(d, `${NS.dct}conformsTo`, dataset.conformsTo);
  g.iris(d, `${NS.dct}language`, dataset.language);
  if (dataset.version) g.add(d, `${NS.dcat}version`, literal(dataset.version));
  if (dataset.type) g.add(d, `${NS.dct}type`, namedNode(dataset.type));
  if (dataset.provenance) {
    const statement = g.blank();
    g.add(d, `${NS.dct}provenance`, statement);
    g.add(statement, RDF_TYPE.value, namedNode(`${NS.dct}ProvenanceStatement`));
    g.texts(statement, `${NS.rdfs}label`, dataset.provenance);
  }
  for (const sample of dataset.sample ?? []) {
    const node = g.blank();
    g.add(d, `${NS.adms}sample`, node);
    g.add(node, `${NS.dcat}accessURL`, namedNode(sample.accessURL));
    g.texts(node, `${NS.dct}title`, sample.title);
  }
  g.iris(d, `${NS.dcatap}applicableLegislation`, dataset.applicableLegislation);
  g.iris(d, `${H}healthCategory`, dataset.healthCategories);
  g.iris(d, `${H}healthTheme`, dataset.healthThemes);
  g.typed(d, `${H}minTypicalAge`, dataset.minTypicalAge, 'nonNegativeInteger');
  g.typed(d, `${H}maxTypicalAge`, dataset.maxTypicalAge, 'nonNegativeInteger');
  g.typed(d, `${H}numberOfRecords`, dataset.numberOfRecords, 'nonNegativeInteger');
  g.typed(d, `${H}numberOfUniqueIndividuals`, dataset.numberOfUniqueIndividuals, 'nonNegativeInteger');
  g.texts(d, `${H}populationCoverage`, dataset.populationCoverage);
  g.iris(d, `${NS.dpv}hasPersonalData`, dataset.personalData);
  g.iris(d, `${NS.dqv}hasLegalBasis`, dataset.legalBasis);
  g.iris(d, `${NS.dpv}hasPurpose`, dataset.purpose);
  g.agent(d, `${H}hdab`, dataset.hdab);
  g.iris(d, `${H}hasCodingSystem`, dataset.hasCodingSystem);
  for (const value of dataset.hasCodeValues ?? []) {
    const node = g.blank();
    g.add(d, `${H}hasCodeValues`, node);
    g.typed(node, `${NS.dct}identifier`, value.code, 'anyURI');
    g.add(node, `${NS.skos}inScheme`, namedNode(value.scheme));
  }
  g.period(d, `${H}retentionPeriod`, dataset.retentionPeriod);
  dataset.distributions.forEach((dist, i) => {
    const node = namedNode(distributionId(dataset.id, dist.id, i));
    g.add(d, `${NS.dcat}distribution`, node);
    g.add(node, RDF_TYPE.value, namedNode(`${NS.dcat}Distribution`));
    g.texts(node, `${NS.dct}title`, dist.title);
    g.add(node, `${NS.dct}format`, namedNode(dist.format));
    g.add(node, `${NS.dcat}mediaType`, namedNode(dist.mediaType));
    g.typed(node, `${NS.dcat}byteSize`, dist.byteSize, 'nonNegativeInteger');
    g.iris(node, `${NS.dcatap}applicableLegislation`, dataset.applicableLegislation);
    if (dist.rights) g.add(node, `${NS.dct}rights`, namedNode(dist.rights));
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
  g.add(c, `${NS.dcatap}applicableLegislation`, namedNode(EHDS_LEGISLATION));
  g.add(c, `${NS.dcat}service`, service);
  g.add(service, RDF_TYPE.value, namedNode(`${NS.dcat}DataService`));
  g.add(service, `${NS.dct}title`, literal(`${host.publisherName} Dataspace Protocol endpoint`, 'en'));
  g.add(service, `${NS.dcat}endpointURL`, namedNode(host.dspEndpoint));
  g.add(service, `${NS.dcatap}applicableLegislation`, namedNode(EHDS_LEGISLATION));
  for (const id of datasetIds) g.add(c, `${NS.dcat}dataset`, namedNode(id));
  return g.quads;
}
