import { NS, ODRL_PROFILE } from '../../vocab/namespaces.ts';

/**
 * The terms of ODRL policies as IRIs: ODRL 2.2's own (core and common vocabulary), EDC's `inForceDate`, and
 * this project's profile (docs/odrl-profile.md, vocab/contexts/odrl-profile-v1.jsonld). Every term a policy
 * names is read into one of these IRIs before it is evaluated; a term that reads into none is not understood.
 */

export const odrl = (local: string): string => `${NS.odrl}${local}`;
export const hdc = (local: string): string => `${NS.hdc}${local}`;

export { ODRL_PROFILE };

/** Actions of the ODRL 2.2 core and common vocabulary, each with the action it is included in (odrl:includedIn). */
export const ODRL_ACTIONS: Record<string, string | undefined> = {
  use: undefined,
  transfer: undefined,
  acceptTracking: 'use',
  aggregate: 'use',
  annotate: 'use',
  anonymize: 'use',
  archive: 'use',
  attribute: 'use',
  compensate: 'use',
  concurrentUse: 'use',
  delete: 'use',
  derive: 'use',
  digitize: 'use',
  display: 'play',
  distribute: 'use',
  ensureExclusivity: 'use',
  execute: 'use',
  extract: 'reproduce',
  give: 'transfer',
  grantUse: 'use',
  include: 'use',
  index: 'use',
  inform: 'use',
  install: 'use',
  modify: 'use',
  move: 'use',
  nextPolicy: 'use',
  obtainConsent: 'use',
  play: 'use',
  present: 'use',
  print: 'use',
  read: 'use',
  reproduce: 'use',
  reviewPolicy: 'use',
  sell: 'transfer',
  stream: 'use',
  synchronize: 'use',
  textToSpeech: 'use',
  transform: 'use',
  translate: 'use',
  uninstall: 'use',
  watermark: 'use',
};

/** ODRL's left operands the engine evaluates (others of ODRL's list are known terms it cannot read: refused). */
export const ODRL_LEFT_OPERANDS = ['purpose', 'dateTime', 'elapsedTime', 'spatial', 'count'] as const;
export const OPERATORS = ['eq', 'neq', 'lt', 'lteq', 'gt', 'gteq', 'isAnyOf', 'isAllOf', 'isNoneOf', 'isPartOf', 'hasPart'] as const;
export const LOGICAL = ['and', 'andSequence', 'or', 'xone'] as const;
export type Logical = (typeof LOGICAL)[number];

/** EDC's contract validity operand (Eclipse EDC, "Contract In Force Policy"); EDC's context maps `inForceDate` to it. */
const EDC_NS = 'https://w3id.org/edc/v0.0.1/ns/';
export const EDC_IN_FORCE_DATE = `${EDC_NS}inForceDate`;

/** Left operands of this project's profile, read from the consumer's verified credentials. */
export const HDC_LEFT_OPERANDS = [
  'dataspaceRole',
  'membershipStatus',
  'organizationType',
  'dataProtectionRole',
  'jurisdictionCountry',
  'euEeaStatus',
  'credentialType',
  'credentialIssuer',
  'dataPermit',
] as const;

/**
 * Policy-level obligations the provider (assigner) performs when it releases data, each with the left operands
 * that parameterise it. health/release-rules.ts reads them; the engine knows them so they are not unknown terms,
 * and never counts them against the consumer.
 */
export const PROVIDER_OBLIGATIONS: Record<string, string[]> = {
  [hdc('applyConsent')]: [hdc('consentModel'), hdc('consentPolicyCode')],
  [hdc('deidentify')]: [hdc('birthDatePrecision')],
  [hdc('pseudonymise')]: [hdc('pseudonymScope')],
  [hdc('shiftDates')]: [hdc('maxDateShiftDays')],
};

const PREFIXES: Record<string, string> = { odrl: NS.odrl, hdc: NS.hdc, edc: EDC_NS, dspace: NS.dspace, rdf: NS.rdf };

/**
 * The bare names a peer may send that still denote one IRI: those the DSP context defines (`use`, `eq`…), those
 * the ODRL context defines (every ODRL term, as in the DSP specification's own examples: `"leftOperand": "spatial"`),
 * and EDC's `inForceDate` (defined by the EDC context EDC sends beside DSP's). Bare names of this project's
 * terms are not among them: only their IRIs name them.
 */
function bareName(name: string): string | undefined {
  if (name in ODRL_ACTIONS || (OPERATORS as readonly string[]).includes(name) || (LOGICAL as readonly string[]).includes(name)) return odrl(name);
  if ((ODRL_LEFT_OPERANDS as readonly string[]).includes(name) || ['perm', 'prohibit', 'invalid', 'isA'].includes(name)) return odrl(name);
  if (name === 'inForceDate') return EDC_IN_FORCE_DATE;
  return undefined;
}

/**
 * The IRI a term denotes: a full IRI as it is, `odrl:x`/`hdc:x`/`edc:x` expanded, `{"@id": …}` read (also as the
 * one-element array of expanded JSON-LD), a bare ODRL name taken as ODRL's; undefined when it denotes none.
 */
export function termIri(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 1 ? termIri(value[0]) : undefined;
  if (value && typeof value === 'object') return termIri((value as Record<string, unknown>)['@id']);
  if (typeof value !== 'string' || value === '') return undefined;
  const colon = value.indexOf(':');
  if (colon > 0) {
    const base = PREFIXES[value.slice(0, colon)];
    return base === undefined ? value : base + value.slice(colon + 1);
  }
  return bareName(value);
}

/** ODRL terms the DSP context itself defines (its odrl-profile.jsonld), which DSP messages write as bare names. */
const DSP_CONTEXT_TERMS = ['use', ...OPERATORS, 'isA', ...LOGICAL];

/**
 * How a term's IRI is written in a DSP message, so that it expands to that IRI under the DSP context alone: a
 * bare name where the DSP context defines it (`use`, `eq`: the DSP schema requires bare operators), `odrl:x`
 * for other ODRL terms (the DSP context declares the prefix), the full IRI for every other term.
 */
export function wireTerm(iri: string): string {
  const name = odrlName(iri);
  if (name === undefined) return iri;
  return DSP_CONTEXT_TERMS.includes(name) ? name : `odrl:${name}`;
}

/** The local name of an ODRL IRI (`http://www.w3.org/ns/odrl/2/use` → `use`), else undefined. */
export function odrlName(iri: string | undefined): string | undefined {
  return iri?.startsWith(NS.odrl) ? iri.slice(NS.odrl.length) : undefined;
}

/** A short label for messages: `odrl:use`, `hdc:dataPermit`, or the IRI itself. */
export function label(iri: string): string {
  for (const [prefix, base] of Object.entries(PREFIXES)) if (iri.startsWith(base)) return `${prefix}:${iri.slice(base.length)}`;
  return iri;
}

/** Whether `action` is `ancestor` or included in it, following odrl:includedIn. */
export function includedIn(action: string, ancestor: string): boolean {
  for (let name = odrlName(action); name !== undefined; name = ODRL_ACTIONS[name]) if (odrl(name) === ancestor) return true;
  return action === ancestor;
}

/** Reads a property of a JSON-LD node under its compact name, its `odrl:` name or its full ODRL IRI. */
export function odrlProperty(node: Record<string, unknown>, name: string): unknown {
  return node[name] ?? node[`odrl:${name}`] ?? node[odrl(name)];
}
