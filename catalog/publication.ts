import { publicationProblems } from '../contracts/policy/canonical.ts';
import { Writer, type Quad } from 'n3';
import { NS } from '../vocab/namespaces.ts';
import { DatasetInput, inconsistencies, tierOf, type Dataset } from './dataset.ts';
import { catalogQuads, datasetQuads, type CatalogHost } from './rdf.ts';
import { validateAgainstTier, type ShapeViolation } from './shacl.ts';
import { datasetToDsp, groupBySubject } from './dsp.ts';

/** Prefixes of the Turtle export, declared once at its top. */
export const TURTLE_PREFIXES: Record<string, string> = {
  dcat: NS.dcat,
  dct: NS.dct,
  dcatap: NS.dcatap,
  healthdcatap: NS.healthdcatap,
  foaf: NS.foaf,
  vcard: NS.vcard,
  xsd: NS.xsd,
  adms: NS.adms,
  dpv: NS.dpv,
  dqv: NS.dqv,
  spdx: NS.spdx,
  rdfs: NS.rdfs,
  odrl: NS.odrl,
};

/** Everything stored for one dataset, computed once at registration so catalog requests only concatenate. */
export interface PublishedDataset {
  dataset: Dataset;
  /** The DSP Dataset JSON (no @context). */
  dsp: string;
  /** Turtle statements without prefix declarations. */
  turtle: string;
  /** JSON-LD node objects (expanded IRIs), comma-separated, to sit inside an @graph array. */
  jsonld: string;
  /** Lower-case text searched by the catalog: titles, descriptions, keywords. */
  searchText: string;
}

export class DatasetRejected extends Error {
  override name = 'DatasetRejected';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`The dataset is not valid: ${problems.join('; ')}`);
    this.problems = problems;
  }
}

/** Validates with zod, then against the SHACL shapes of its tier; throws DatasetRejected naming each field. */
export async function prepareDataset(
  raw: unknown,
  host: CatalogHost,
  options: { previous?: Dataset; sourceBytes?: number; now?: Date /** An id taken as given, IRI or not (a conformance fixture's). */; id?: string } = {},
): Promise<PublishedDataset> {
  const { previous, sourceBytes, now = new Date() } = options;
  const parsed = DatasetInput.safeParse(raw);
  if (!parsed.success) throw new DatasetRejected(parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`));
  const input = parsed.data;
  const inconsistent = inconsistencies(input);
  if (inconsistent.length > 0) throw new DatasetRejected(inconsistent);
  // Offers are published so that any DSP peer reads them alike (terms as IRIs under the DSP context, one permission).
  const offerProblems = input.offers.flatMap((offer, i) => publicationProblems(offer as Record<string, unknown>).map((problem) => `offers.${i}: ${problem}`));
  if (offerProblems.length > 0) throw new DatasetRejected(offerProblems);
  const id = previous?.id ?? options.id ?? input.id ?? `urn:uuid:${crypto.randomUUID()}`;
  const dataset: Dataset = {
    ...input,
    distributions: input.distributions.map((d) => (d.byteSize === undefined && sourceBytes !== undefined ? { ...d, byteSize: sourceBytes } : d)),
    id,
    identifier: input.identifier ?? id,
    issued: input.issued ?? previous?.issued ?? now.toISOString().slice(0, 10),
    modified: now.toISOString(),
  };
  const quads = datasetQuads(dataset, host);
  const violations = await validateAgainstTier([...quads, ...catalogQuads(host, [id])], tierOf(dataset));
  if (violations.length > 0) throw new DatasetRejected(violations.map(describeViolation));
  return publication(dataset, quads, host);
}

export function describeViolation(v: ShapeViolation): string {
  return `${v.field}${v.focus && !v.focus.startsWith('(') ? ` on ${v.focus}` : ''}: ${v.message}`;
}

export function publication(dataset: Dataset, quads: Quad[], host: CatalogHost): PublishedDataset {
  const text = [...Object.values(dataset.title), ...Object.values(dataset.description), ...Object.values(dataset.keywords ?? {}).flat()].join(' ').toLowerCase();
  return { dataset, dsp: JSON.stringify(datasetToDsp(dataset, quads, host)), turtle: turtleBody(quads), jsonld: jsonLdNodes(quads), searchText: text };
}

/** Turtle for quads, without the prefix lines (the export declares them once). */
export function turtleBody(quads: Quad[]): string {
  const writer = new Writer({ prefixes: TURTLE_PREFIXES });
  writer.addQuads(quads);
  let out = '';
  writer.end((error, result) => {
    if (error) throw error;
    out = result;
  });
  return out.replace(/^@prefix [^\n]*\n/gm, '').trim();
}

export function turtlePrefixes(): string {
  return Object.entries(TURTLE_PREFIXES)
    .map(([p, ns]) => `@prefix ${p}: <${ns}> .`)
    .join('\n');
}

/** Flattened JSON-LD node objects with full IRIs: one object per subject. */
export function jsonLdNodes(quads: Quad[]): string {
  const nodes: string[] = [];
  for (const [subject, list] of groupBySubject(quads)) {
    const node: Record<string, unknown[] | string> = { '@id': list[0]!.subject.termType === 'BlankNode' ? `_:${subject}` : subject };
    for (const q of list) {
      if (q.predicate.value === `${NS.rdf}type`) {
        node['@type'] = [...((node['@type'] as string[] | undefined) ?? []), q.object.value];
        continue;
      }
      const o = q.object;
      const value =
        o.termType === 'Literal'
          ? (o as { language: string }).language
            ? { '@value': o.value, '@language': (o as { language: string }).language }
            : { '@value': o.value, '@type': (o as { datatype: { value: string } }).datatype.value }
          : { '@id': o.termType === 'BlankNode' ? `_:${o.value}` : o.value };
      node[q.predicate.value] = [...((node[q.predicate.value] as unknown[] | undefined) ?? []), value];
    }
    nodes.push(JSON.stringify(node));
  }
  return nodes.join(',');
}
