import { NS } from '../../vocab/namespaces.ts';

/**
 * The EHDS secondary-use purposes (Regulation (EU) 2025/327, Art. 53(1)) as short names, each with an IRI in
 * the project's namespace. Policies and data permits may use either form.
 */
export const EHDS_PURPOSES = {
  'public-health': 'public interest in public and occupational health',
  'policy-making': 'policy-making and regulatory activities in the health or care sector',
  'official-statistics': 'official statistics on the health or care sector',
  education: 'education or teaching activities in health or care sectors',
  'scientific-research': 'scientific research related to health or care sectors',
  'development-innovation': 'development and innovation activities for products or services contributing to health or care',
  'ai-training': 'training, testing and evaluating of algorithms, including in medical devices and AI systems',
  'personalised-care': 'improvement of the delivery of care and treatment optimisation based on the health data of others',
} as const;
export type EhdsPurpose = keyof typeof EHDS_PURPOSES;

export const PURPOSE_NS = `${NS.hdc}purpose/`;

/** EU member states and the EEA states beyond them (ISO 3166-1 alpha-2), for euEeaStatus and isPartOf EU/EEA. */
export const EU_COUNTRIES = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
];
export const EEA_COUNTRIES = [...EU_COUNTRIES, 'IS', 'LI', 'NO'];
export const REGIONS: Record<string, string[]> = { EU: EU_COUNTRIES, EEA: EEA_COUNTRIES };

/**
 * Strips a known namespace or `prefix:` from a value (a right operand, a claim), so a purpose IRI compares equal
 * to its short name. Terms (left operands, operators, actions) are compared as IRIs instead (terms.ts).
 */
export function shortTerm(value: string): string {
  for (const ns of [NS.odrl, PURPOSE_NS, NS.hdc, 'https://w3id.org/dspace/2025/1/', 'https://w3id.org/edc/v0.0.1/ns/']) {
    if (value.startsWith(ns)) return value.slice(ns.length);
  }
  const prefixed = /^(odrl|hdc|dspace|edc|purpose):(.+)$/.exec(value);
  const bare = prefixed ? prefixed[2]! : value;
  return bare.startsWith('purpose/') ? bare.slice('purpose/'.length) : bare;
}
