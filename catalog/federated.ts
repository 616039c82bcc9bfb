import { NS } from '../vocab/namespaces.ts';

/** The facets the federated catalog filters and counts on; `provider` is the DID of the peer that published it. */
export const FACETS = ['theme', 'healthCategory', 'healthTheme', 'publisher', 'spatial', 'accessRights', 'keyword', 'provider'] as const;
export type Facet = (typeof FACETS)[number];

/** What the federated catalog keeps of a peer's DSP Dataset: text to search, facets to filter on, its offers. */
export interface DatasetSummary {
  id: string;
  title: string;
  description: string;
  keywords: string[];
  facets: { themes: string[]; healthCategories: string[]; healthThemes: string[]; publishers: string[]; spatial: string[]; accessRights: string[] };
  offers: unknown[];
}

/** Longest title kept and facet value indexed: database indexes bound their keys (PostgreSQL at about 2.7 kB). */
const MAX_INDEXED = 500;

type Json = Record<string, unknown>;
const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const texts = (value: unknown): string[] =>
  list(value)
    .map((v) => (typeof v === 'string' ? v : typeof (v as Json)?.['@value'] === 'string' ? ((v as Json)['@value'] as string) : ''))
    .filter(Boolean);
const ids = (value: unknown): string[] =>
  list(value)
    .map((v) => (typeof v === 'string' ? v : typeof (v as Json)?.['@id'] === 'string' ? ((v as Json)['@id'] as string) : ''))
    .filter(Boolean);
const pick = (node: Json, ...keys: string[]) => keys.flatMap((k) => list(node[k]));
const unique = (values: string[]) => [...new Set(values)];

/** Reads a DSP Dataset as published by a peer; tolerant of prefixed or full IRI keys. Undefined when it is no dataset. */
export function summarizeDataset(node: unknown): DatasetSummary | undefined {
  if (!node || typeof node !== 'object' || typeof (node as Json)['@id'] !== 'string') return undefined;
  const d = node as Json;
  const publishers = pick(d, 'dct:publisher', `${NS.dct}publisher`).flatMap((p) => [...ids(p), ...texts((p as Json)?.[`${NS.foaf}name`])]);
  return {
    id: d['@id'] as string,
    title: (texts(pick(d, 'dct:title', `${NS.dct}title`, 'title')).join(' / ') || (d['@id'] as string)).slice(0, MAX_INDEXED),
    description: texts(pick(d, 'dct:description', `${NS.dct}description`, 'description')).join(' '),
    keywords: unique(texts(pick(d, 'dcat:keyword', `${NS.dcat}keyword`, 'keyword'))),
    facets: {
      themes: unique(ids(pick(d, 'dcat:theme', `${NS.dcat}theme`))),
      healthCategories: unique(ids(pick(d, `${NS.healthdcatap}healthCategory`))),
      healthThemes: unique(ids(pick(d, `${NS.healthdcatap}healthTheme`))),
      publishers: unique(publishers),
      spatial: unique(ids(pick(d, 'dct:spatial', `${NS.dct}spatial`))),
      accessRights: unique(ids(pick(d, 'dct:accessRights', `${NS.dct}accessRights`))),
    },
    offers: list(d.hasPolicy),
  };
}

/** The (facet, value) pairs of a summary, as the facet index stores them. */
export function facetValues(summary: DatasetSummary, providerDid: string): { facet: Facet; value: string }[] {
  const { facets } = summary;
  const pairs: [Facet, string[]][] = [
    ['theme', facets.themes],
    ['healthCategory', facets.healthCategories],
    ['healthTheme', facets.healthThemes],
    ['publisher', facets.publishers],
    ['spatial', facets.spatial],
    ['accessRights', facets.accessRights],
    ['keyword', unique(summary.keywords.map(facetKey))],
    ['provider', [providerDid]],
  ];
  return pairs.flatMap(([facet, values]) => values.filter((v) => v.length <= MAX_INDEXED).map((value) => ({ facet, value })));
}

/** How facet values compare: case-insensitively (a publisher's name as typed, an IRI as written). */
export const facetKey = (value: string): string => value.normalize('NFC').toLowerCase();

/** Lower case without diacritics: what text search indexes and matches, the same on every database. */
export const foldText = (text: string): string =>
  text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();

/** The text a summary is found by: title, description and keywords, folded. */
export const searchTextOf = (summary: DatasetSummary): string => foldText([summary.title, summary.description, ...summary.keywords].join(' '));

/** The words of a search, folded; each must prefix a word of the text. Punctuation separates words. */
export const searchWords = (query: string | undefined): string[] =>
  foldText(query ?? '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .slice(0, 20);
