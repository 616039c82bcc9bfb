/**
 * IRIs of the EU controlled vocabularies HealthDCAT-AP prescribes that the connector writes or compares (dataset
 * catalog, data permits). See docs/catalog-vocabularies.md for where each comes from.
 */

/** The EU Publications Office's authority tables: a concept is `<table>/<CODE>`, in the scheme `<table>`. */
export const EU_AUTHORITY = 'http://publications.europa.eu/resource/authority/';

/** dct:type a HealthDCAT-AP dataset must carry when it holds personal data (dataset-type vocabulary). */
export const PERSONAL_DATA = `${EU_AUTHORITY}dataset-type/PERSONAL_DATA`;

/**
 * Health categories of the EU health-category vocabulary, the scheme the HealthDCAT-AP vocabulary shapes
 * prescribe. EHRS ("Electronic Health Records (EHRs)") is the code the HealthDCAT-AP RDF template uses.
 */
export const HEALTH_CATEGORY = { EHRS: `${EU_AUTHORITY}health-category/EHRS` } as const;

/** Health category IRIs this connector published before it used the EU vocabulary, and their EU concepts. */
const LEGACY_HEALTH_CATEGORIES: Record<string, string> = {
  'http://healthdataportal.eu/ns/health-category#EHR': HEALTH_CATEGORY.EHRS,
};

/** A health category as given, or its EU concept when it is one this connector used to publish. */
export function migrateHealthCategory(iri: string): string {
  return LEGACY_HEALTH_CATEGORIES[iri] ?? iri;
}
