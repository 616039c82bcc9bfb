import { z } from 'zod';
import { CatalogOffer } from '../contracts/negotiation/messages.ts';
import { migrateHealthCategory, PERSONAL_DATA } from '../vocab/eu-vocabularies.ts';
import { migrateCodeValue } from './coding-systems.ts';

/**
 * A dataset as a data steward registers it: DCAT 3 / DCAT-AP 3 / HealthDCAT-AP metadata, where its data
 * comes from, and the ODRL offers under which it is shared. Values that are IRIs in the vocabularies
 * (themes, categories, countries, legislation) are given as IRIs.
 */

const iri = z.string().regex(/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/, 'must be an IRI');
const date = z.iso.date({ error: 'must be a date (YYYY-MM-DD)' }).or(z.iso.datetime({ offset: true, error: 'must be a date or date-time' }));
/** Text in one or more languages: { "en": "…", "fr": "…" }. */
const LangText = z
  .record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/, 'keys must be language tags'), z.string().min(1))
  .refine((m) => Object.keys(m).length > 0, 'needs at least one language');
const LangList = z.record(z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/), z.array(z.string().min(1)).min(1));

export const ACCESS_TIERS = { PUBLIC: 'opendata', RESTRICTED: 'protected', NON_PUBLIC: 'sensitive' } as const;
export type AccessRights = keyof typeof ACCESS_TIERS;
export type AccessTier = (typeof ACCESS_TIERS)[AccessRights];

const Agent = z.strictObject({ name: z.string().min(1), id: iri.optional(), type: iri.optional(), email: z.email().optional(), url: z.url().optional() });
/** A publisher in HealthDCAT-AP also says what kind of health data holder it is. */
const Publisher = Agent.extend({
  publisherType: iri.optional(),
  publisherNote: LangText.optional(),
  trustedDataHolder: z.boolean().optional(),
});
/**
 * A code value of the dataset: a concept (skos:Concept) named by its IRI, with its code (skos:notation) and its
 * coding system (skos:inScheme, one of hasCodingSystem). The form stored before, `{ code, scheme }`, is read as
 * the concept it names.
 */
const CodeValue = z.union(
  [z.strictObject({ id: iri, notation: z.string().min(1), inScheme: iri, label: LangText.optional() }), z.strictObject({ code: iri, scheme: iri }).transform(migrateCodeValue)],
  { error: 'must be a concept { id: IRI, notation, inScheme: IRI of its coding system, label? }' },
);
const Sample = z.strictObject({ accessURL: z.url(), title: LangText.optional() });
const ContactPoint = z.strictObject({ name: z.string().min(1).optional(), email: z.email(), url: z.url() });
const Period = z.strictObject({ start: date.optional(), end: date.optional() }).refine((p) => p.start || p.end, 'needs a start or an end');

export const DistributionInput = z.strictObject({
  id: iri.optional(),
  title: LangText.optional(),
  format: iri,
  mediaType: iri,
  /** Default: the size of the data source, when it is a file or folder. */
  byteSize: z.number().int().nonnegative().optional(),
  /** A rights statement (IRI); default: a statement that the dataset's ODRL offers govern its use. */
  rights: iri.optional(),
  checksum: z.strictObject({ algorithm: z.enum(['sha256', 'sha1', 'md5']), value: z.string().regex(/^[0-9a-f]+$/, 'must be lowercase hex') }).optional(),
});

export const DataSource = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file'), path: z.string().min(1) }),
  z.strictObject({ kind: z.literal('http'), url: z.url({ protocol: /^https?$/ }) }),
]);
export type DataSource = z.infer<typeof DataSource>;

export const DatasetInput = z.strictObject({
  id: iri.optional(),
  title: LangText,
  description: LangText,
  identifier: z.string().min(1).optional(),
  publisher: Publisher,
  contactPoint: ContactPoint.optional(),
  themes: z.array(iri).min(1),
  keywords: LangList.optional(),
  issued: date.optional(),
  spatial: z.array(iri).optional(),
  temporal: Period.optional(),
  accessRights: z.enum(Object.keys(ACCESS_TIERS) as [AccessRights, ...AccessRights[]]),
  conformsTo: z.array(iri).optional(),
  language: z.array(iri).optional(),
  version: z.string().min(1).optional(),
  /** dct:type: dataset types (EU dataset-type vocabulary); a single IRI, as stored before, is a list of one. */
  type: z.union([iri.transform((t) => [t]), z.array(iri).min(1)], { error: 'must be IRIs of dataset types (a list, or one IRI)' }).optional(),
  provenance: LangText.optional(),
  sample: z.array(Sample).optional(),
  applicableLegislation: z.array(iri).min(1),
  /** EU health-category concepts; the category IRI this connector published before is read as its EU concept. */
  healthCategories: z.array(iri.transform(migrateHealthCategory)).min(1),
  /** Health themes (Wikidata items), each an IRI or, so that it is published as a skos:Concept, `{ id, label }`. */
  healthThemes: z.array(z.union([iri.transform((id) => ({ id })), z.strictObject({ id: iri, label: LangText })], { error: 'must be an IRI or { id: IRI, label }' })).optional(),
  minTypicalAge: z.number().int().nonnegative().optional(),
  maxTypicalAge: z.number().int().nonnegative().optional(),
  numberOfRecords: z.number().int().nonnegative().optional(),
  numberOfUniqueIndividuals: z.number().int().nonnegative().optional(),
  populationCoverage: LangText.optional(),
  personalData: z.array(iri).optional(),
  legalBasis: z.array(iri).optional(),
  purpose: z.array(iri).optional(),
  hdab: Agent,
  hasCodingSystem: z.array(iri).optional(),
  hasCodeValues: z.array(CodeValue).optional(),
  retentionPeriod: Period.optional(),
  distributions: z.array(DistributionInput).min(1),
  source: DataSource,
  offers: z.array(CatalogOffer).min(1),
  /** "members": only authenticated members of the dataspace see it. */
  visibility: z.enum(['public', 'members']).default('public'),
  /** Each contract request waits for an operator's approval. */
  requiresApproval: z.boolean().default(false),
});
export type DatasetInput = z.input<typeof DatasetInput>;

/** A registered dataset: the steward's input plus what the connector maintains. */
export type Dataset = z.output<typeof DatasetInput> & { id: string; identifier: string; modified: string; issued: string };

/** What the shapes cannot say about one dataset: rules that tie two of its fields together. */
export function inconsistencies(input: z.output<typeof DatasetInput>): string[] {
  const problems: string[] = [];
  if (input.minTypicalAge !== undefined && input.maxTypicalAge !== undefined && input.minTypicalAge > input.maxTypicalAge)
    problems.push('minTypicalAge: must not exceed maxTypicalAge');
  if (input.personalData?.length && !input.type?.includes(PERSONAL_DATA))
    problems.push(`type: must include ${PERSONAL_DATA}, as the dataset declares personalData (HealthDCAT-AP)`);
  const systems = new Set(input.hasCodingSystem ?? []);
  input.hasCodeValues?.forEach((value, i) => {
    if (!systems.has(value.inScheme)) problems.push(`hasCodeValues.${i}.inScheme: ${value.inScheme} is not one of hasCodingSystem`);
  });
  return problems;
}

export function tierOf(dataset: Pick<Dataset, 'accessRights'>): AccessTier {
  return ACCESS_TIERS[dataset.accessRights];
}
