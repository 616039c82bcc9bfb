import type { Quad, Term } from 'n3';
import { CONTEXT, NS } from '../vocab/namespaces.ts';
import type { Dataset } from './dataset.ts';
import type { CatalogHost } from './rdf.ts';

/**
 * The DSP 2025-1 view of the catalog: Catalog / Dataset / Distribution / DataService JSON that validates
 * against the spec's schemas, with the dataset's DCAT / HealthDCAT-AP metadata embedded under `dct:` and
 * `dcat:` keys (prefixes the DSP context defines) or full IRIs, so it survives JSON-LD expansion intact.
 */
export const TRANSFER_FORMATS = ['HttpData-PULL', 'HttpData-PUSH'] as const;

const DSP_PREFIXES: [string, string][] = [
  ['dct', NS.dct],
  ['dcat', NS.dcat],
  ['odrl', NS.odrl],
];
const keyOf = (iri: string) => {
  for (const [prefix, ns] of DSP_PREFIXES) if (iri.startsWith(ns) && /^[A-Za-z][\w-]*$/.test(iri.slice(ns.length))) return `${prefix}:${iri.slice(ns.length)}`;
  return iri;
};

type Json = Record<string, unknown>;
const RDF_TYPE = `${NS.rdf}type`;
const CONCEPT = `${NS.skos}Concept`;

function termJson(term: Term, bySubject: Map<string, Quad[]>, seen: Set<string>): unknown {
  if (term.termType === 'Literal') {
    const lit = term as Term & { language: string; datatype: { value: string } };
    if (lit.language) return { '@value': term.value, '@language': lit.language };
    if (lit.datatype.value === `${NS.xsd}string`) return term.value;
    return { '@value': term.value, '@type': lit.datatype.value };
  }
  if (term.termType === 'BlankNode' && !seen.has(term.value)) return nodeJson(term, bySubject, seen, false);
  // A concept the dataset describes itself (a code value: its notation, label and scheme) is embedded.
  if (term.termType === 'NamedNode' && !seen.has(term.value) && bySubject.get(term.value)?.some((q) => q.object.value === CONCEPT && q.predicate.value === RDF_TYPE))
    return nodeJson(term, bySubject, seen, true);
  return { '@id': term.value };
}

function nodeJson(subject: Term, bySubject: Map<string, Quad[]>, seen: Set<string>, withId: boolean, skip: string[] = []): Json {
  seen.add(subject.value);
  const node: Json = withId ? { '@id': subject.value } : {};
  for (const q of bySubject.get(subject.value) ?? []) {
    const p = q.predicate.value;
    if (skip.includes(p)) continue;
    if (p === `${NS.rdf}type`) {
      node['@type'] = [...((node['@type'] as string[]) ?? []), q.object.value];
      continue;
    }
    const key = keyOf(p);
    node[key] = [...((node[key] as unknown[]) ?? []), termJson(q.object, bySubject, seen)];
  }
  return node;
}

export function groupBySubject(quads: Quad[]): Map<string, Quad[]> {
  const map = new Map<string, Quad[]>();
  for (const q of quads) {
    const list = map.get(q.subject.value);
    if (list) list.push(q);
    else map.set(q.subject.value, [q]);
  }
  return map;
}

/** One dataset as DSP JSON (without @context): its metadata, its offers (no target) and its transfer distributions. */
export function datasetToDsp(dataset: Dataset, quads: Quad[], host: CatalogHost): Json {
  const bySubject = groupBySubject(quads);
  const subject = bySubject.get(dataset.id)![0]!.subject;
  const metadata = nodeJson(subject, bySubject, new Set(), true, [`${NS.dcat}distribution`]);
  delete metadata['@type'];
  return {
    ...metadata,
    '@id': dataset.id,
    '@type': 'Dataset',
    hasPolicy: dataset.offers.map(({ target: _target, ...offer }) => ({ ...offer, '@type': 'Offer' })),
    distribution: TRANSFER_FORMATS.map((format) => ({
      '@type': 'Distribution',
      format,
      accessService: { '@id': host.dataServiceId, '@type': 'DataService', endpointURL: host.dspEndpoint },
    })),
  };
}

export function dataServiceJson(host: CatalogHost): Json {
  return { '@id': host.dataServiceId, '@type': 'DataService', endpointURL: host.dspEndpoint };
}

/** A Catalog message body with the given datasets. */
export function catalogToDsp(host: CatalogHost, datasets: Json[]): Json {
  return {
    '@context': [CONTEXT.dspace],
    '@id': host.catalogId,
    '@type': 'Catalog',
    participantId: host.participantId,
    'dct:title': [{ '@value': `${host.publisherName} catalog`, '@language': 'en' }],
    service: [dataServiceJson(host)],
    ...(datasets.length > 0 ? { dataset: datasets } : {}),
  };
}

export function catalogError(code: string, reasons: string[]): Json {
  return { '@context': [CONTEXT.dspace], '@type': 'CatalogError', code, reason: reasons.length ? reasons : ['error'] };
}
