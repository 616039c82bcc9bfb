import { NS } from '../../vocab/namespaces.ts';
import { atomicRules } from './rules.ts';
import { LOGICAL, odrl, termIri, wireTerm } from './terms.ts';

/**
 * Policies compared by what they say, not how they are written: EDC and Tractus-X send back an offer in their own
 * compaction (`odrl:use` or `{"@id": "odrl:use"}`, `odrl:`-prefixed keys, one value or a one-element array).
 * And the checks an offer must pass before the connector publishes it.
 */

type Json = Record<string, unknown>;

const PROPERTIES = [
  'permission',
  'prohibition',
  'obligation',
  'duty',
  'constraint',
  'refinement',
  'action',
  'leftOperand',
  'operator',
  'rightOperand',
  'assignee',
  'assigner',
  'target',
  'conflict',
  ...LOGICAL,
];
const TERMS = ['action', 'leftOperand', 'operator', 'conflict'];
const VALUE_KEYS = ['rdf:value', `${NS.rdf}value`, 'value'];

/** The ODRL property a key names (`action`, `odrl:action`, `http://www.w3.org/ns/odrl/2/action` → `action`). */
function propertyOf(key: string): string | undefined {
  const name = key.startsWith('odrl:') ? key.slice(5) : key.startsWith(NS.odrl) ? key.slice(NS.odrl.length) : key;
  return PROPERTIES.includes(name) ? name : VALUE_KEYS.includes(key) ? 'rdf:value' : undefined;
}

const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as Json)['@list']) ? ((value as Json)['@list'] as unknown[]) : [value];

function scalar(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Json;
    if ('@value' in v) return String(v['@value']);
    if (typeof v['@id'] === 'string') return { '@id': v['@id'] };
    if (Array.isArray(v['@list'])) return v['@list'].map(scalar);
  }
  return Array.isArray(value) ? value.map(scalar) : typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

const isTerm = (property: string | undefined) => property !== undefined && (TERMS.includes(property) || property === 'rdf:value');
const isReference = (node: unknown) =>
  !!node && typeof node === 'object' && !Array.isArray(node) && Object.keys(node).every((k) => k === '@id' || k === '@type') && typeof (node as Json)['@id'] === 'string';

function canonical(node: unknown, property?: string): unknown {
  if (isTerm(property) && isReference(node)) return termIri(node) ?? node;
  if (property === 'rightOperand') return scalar(Array.isArray(node) && node.length === 1 ? node[0] : node);
  if (Array.isArray(node) || (node && typeof node === 'object' && Array.isArray((node as Json)['@list']))) return list(node).map((n) => canonical(n, property));
  if (node && typeof node === 'object') {
    const out: Json = {};
    for (const key of Object.keys(node as Json).sort()) {
      const name = propertyOf(key) ?? key;
      if (name === '@type' || name === '@context') continue;
      const value = (node as Json)[key];
      out[name] = name === 'rightOperand' ? canonical(value, name) : list(value).map((v) => canonical(v, name));
    }
    return out;
  }
  return isTerm(property) ? (termIri(node) ?? node) : node;
}

/** A policy's rules in one form: keys as ODRL names, terms as IRIs, every multi-valued property a list. */
export function policyTerms(policy: Json): Json {
  const rules = canonical(policy) as Json;
  return { permission: rules.permission ?? null, prohibition: rules.prohibition ?? null, obligation: rules.obligation ?? null };
}

/** Whether two policies state the same rules (however each is compacted). */
export function sameTerms(a: Json, b: Json): boolean {
  return JSON.stringify(policyTerms(a)) === JSON.stringify(policyTerms(b));
}

/**
 * Why an offer must not be published as it is: more than one permission (EDC requires every permission to hold,
 * ODRL one: publish alternatives as separate offers, and both readings agree), andSequence (EDC cannot read it),
 * a term written so that the DSP context alone does not expand it to its IRI, an action no ODRL vocabulary has.
 */
export function publicationProblems(offer: Json): string[] {
  const problems: string[] = [];
  if (list(offer.permission ?? []).length > 1) problems.push('an offer has at most one permission: publish alternative terms as separate offers');
  for (const kind of ['permission', 'prohibition', 'obligation'] as const) problems.push(...atomicRules(offer, kind).unknown);
  const term = (property: string, value: unknown) => {
    const iri = termIri(value);
    if (typeof value !== 'string') problems.push(`${property} ${JSON.stringify(value)} must be a string (DSP schema), ${iri ? JSON.stringify(wireTerm(iri)) : 'an IRI'}`);
    else if (iri === undefined || wireTerm(iri) !== value)
      problems.push(`${property} ${JSON.stringify(value)} must be written ${iri ? JSON.stringify(wireTerm(iri)) : 'as an IRI'} to expand to its IRI under the DSP context`);
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node as Json)) {
      if (key === 'andSequence' || key === odrl('andSequence') || key === 'odrl:andSequence') problems.push('andSequence is not published (EDC cannot read it); use and');
      if (['action', 'leftOperand', 'operator'].includes(key)) term(key, value);
      else if (key !== 'rightOperand') visit(value);
    }
  };
  visit([offer.permission, offer.prohibition, offer.obligation]);
  return [...new Set(problems)];
}
