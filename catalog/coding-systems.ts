/**
 * The coding systems of a dataset's code values (healthdcatap:hasCodeValues, hasCodingSystem): a concept's IRI
 * from its system and code, and the form code values were stored in before. See docs/catalog-vocabularies.md.
 */

/** A code value: a concept of a coding system, with its code and its scheme (one of hasCodingSystem). */
export interface CodeValue {
  id: string;
  notation: string;
  inScheme: string;
  label?: Record<string, string> | undefined;
}

/**
 * Coding systems by their FHIR canonical URI (what `coding.system` carries in the data), each with the IRI
 * its publisher gives a concept: LOINC's as in the HealthDCAT-AP RDF template, SNOMED CT's from its URI
 * standard, ICD-10's as the WHO browser addresses a category.
 */
export const CODING_SYSTEMS: Record<string, { name: string; concept: (code: string) => string }> = {
  'http://loinc.org': { name: 'LOINC', concept: (code) => `https://loinc.org/${code}/` },
  'http://snomed.info/sct': { name: 'SNOMED CT', concept: (code) => `http://snomed.info/id/${code}` },
  'http://hl7.org/fhir/sid/icd-10': { name: 'ICD-10', concept: (code) => `https://icd.who.int/browse10/2019/en#/${code}` },
};

/** The concept of `code` in the coding system `system` (its FHIR canonical URI). */
export function codeValue(system: string, code: string): CodeValue {
  const known = CODING_SYSTEMS[system];
  return { id: known ? known.concept(code) : `${system}#${code}`, notation: code, inScheme: system };
}

/**
 * The form code values were stored in before they were concepts, `{ code: "<system>#<code>", scheme: "<system>" }`,
 * as the concept it names.
 */
export function migrateCodeValue(legacy: { code: string; scheme: string }): CodeValue {
  const prefix = `${legacy.scheme}#`;
  if (legacy.code.startsWith(prefix)) return codeValue(legacy.scheme, legacy.code.slice(prefix.length));
  return { id: legacy.code, notation: legacy.code.slice(legacy.code.search(/[^/#]*$/)) || legacy.code, inScheme: legacy.scheme };
}
