import { NS } from '../vocab/namespaces.ts';

/** What the federated catalog indexes of a peer's DSP Dataset: text to search and facets to filter on. */
export interface DatasetSummary {
  id: string;
  title: string;
  description: string;
  keywords: string[];
  facets: { themes: string[]; healthCategories: string[]; publishers: string[]; spatial: string[] };
  offers: unknown[];
}

type Json = Record<string, unknown>;
const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const texts = (value: unknown): string[] => list(value).map((v) => (typeof v === 'string' ? v : typeof (v as Json)?.['@value'] === 'string' ? ((v as Json)['@value'] as string) : '')).filter(Boolean);
const ids = (value: unknown): string[] => list(value).map((v) => (typeof v === 'string' ? v : typeof (v as Json)?.['@id'] === 'string' ? ((v as Json)['@id'] as string) : '')).filter(Boolean);
const pick = (node: Json, ...keys: string[]) => keys.flatMap((k) => list(node[k]));

/** Reads a DSP Dataset as published by a peer; tolerant of prefixed or full IRI keys. Undefined when it is no dataset. */
export function summarizeDataset(node: unknown): DatasetSummary | undefined {
  if (!node || typeof node !== 'object' || typeof (node as Json)['@id'] !== 'string') return undefined;
  const d = node as Json;
  const publishers = pick(d, 'dct:publisher', `${NS.dct}publisher`).flatMap((p) => [...ids(p), ...texts((p as Json)?.[`${NS.foaf}name`])]);
  return {
    id: d['@id'] as string,
    title: texts(pick(d, 'dct:title', `${NS.dct}title`, 'title')).join(' / ') || (d['@id'] as string),
    description: texts(pick(d, 'dct:description', `${NS.dct}description`, 'description')).join(' '),
    keywords: texts(pick(d, 'dcat:keyword', `${NS.dcat}keyword`, 'keyword')),
    facets: {
      themes: ids(pick(d, 'dcat:theme', `${NS.dcat}theme`)),
      healthCategories: ids(pick(d, `${NS.healthdcatap}healthCategory`)),
      publishers,
      spatial: ids(pick(d, 'dct:spatial', `${NS.dct}spatial`)),
    },
    offers: list(d.hasPolicy),
  };
}

export interface SearchQuery {
  text?: string;
  theme?: string;
  healthCategory?: string;
  publisher?: string;
  spatial?: string;
}

/** Whether a summary's facets match every facet the query names (publisher by IRI or name, case-insensitive). */
export function matchesFacets(facets: DatasetSummary['facets'], query: SearchQuery): boolean {
  const has = (values: string[], wanted?: string) => !wanted || values.some((v) => v.toLowerCase() === wanted.toLowerCase());
  return has(facets.themes, query.theme) && has(facets.healthCategories, query.healthCategory) && has(facets.publishers, query.publisher) && has(facets.spatial, query.spatial);
}
