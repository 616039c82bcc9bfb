import { NS } from '../../vocab/namespaces.ts';
import { LOGICAL, termIri, wireTerm } from './terms.ts';

/**
 * A policy in whatever form a peer sent it (EDC's and Tractus-X's compactions, `odrl:`-prefixed keys, expanded
 * JSON-LD) rewritten into the form the connector itself writes: DSP's short keys, every term as `wireTerm` writes
 * it, lists where the DSP schema has arrays, `{"@value"}` and `{"@id"}` values unwrapped. Message validation can
 * run on the result, and what is stored reads like what the connector publishes. Terms it does not know are kept
 * as they came, so evaluation still refuses them by name.
 *
 * @example
 * toWireForm({ 'odrl:permission': { 'odrl:action': { '@id': 'odrl:use' } } }) // { permission: [{ action: 'use' }] }
 */

type Json = Record<string, unknown>;

const LISTS = ['permission', 'prohibition', 'obligation', 'duty', 'constraint', 'refinement', ...LOGICAL];
const TERMS = ['action', 'leftOperand', 'operator'];
const REFERENCES = ['assignee', 'assigner', 'target', 'profile'];
const PROPERTIES = [...LISTS, ...TERMS, ...REFERENCES, 'rightOperand', 'conflict'];
const TYPES = ['Offer', 'Agreement', 'Set', 'Policy', 'Permission', 'Prohibition', 'Duty', 'Constraint', 'LogicalConstraint'];
const VALUE_KEYS = ['rdf:value', `${NS.rdf}value`];

function compactKey(key: string): string {
  const name = key.startsWith('odrl:') ? key.slice(5) : key.startsWith(NS.odrl) ? key.slice(NS.odrl.length) : key;
  if (PROPERTIES.includes(name)) return name;
  return VALUE_KEYS.includes(key) ? 'rdf:value' : key;
}

/** The members of a list property: a JSON array, an `@list`, or one value. */
const items = (value: unknown): unknown[] => {
  if (Array.isArray(value)) return value.length === 1 && isList(value[0]) ? items(value[0]) : value;
  if (isList(value)) return (value as Json)['@list'] as unknown[];
  return value === undefined ? [] : [value];
};
const isList = (value: unknown) => !!value && typeof value === 'object' && Array.isArray((value as Json)['@list']);
const isLiteral = (value: unknown) => !!value && typeof value === 'object' && '@value' in (value as Json);
const one = (value: unknown): unknown => (Array.isArray(value) && value.length === 1 ? value[0] : value);

function unwrap(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrap);
  if (value && typeof value === 'object') {
    const v = value as Json;
    if ('@value' in v) return typeof v['@value'] === 'string' ? v['@value'] : String(v['@value']);
    if (Array.isArray(v['@list'])) return v['@list'].map(unwrap);
    if (typeof v['@id'] === 'string' && Object.keys(v).every((k) => k === '@id' || k === '@type')) return v['@id'];
  }
  return value;
}

const isReference = (value: unknown) =>
  !!value && typeof value === 'object' && !Array.isArray(value) && typeof (value as Json)['@id'] === 'string' && Object.keys(value as Json).length === 1;
const isTypedLiteral = (value: unknown) => isLiteral(value) && typeof (value as Json)['@type'] === 'string' && Object.keys(value as Json).length === 2;

/**
 * A right operand: an IRI (`{"@id"}`) and a typed literal (`{"@value", "@type"}`) say more than their string and
 * stay as they are (release rules name IRIs and an xsd:integer); a plain literal is unwrapped.
 */
function operand(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(operand);
  if (isList(value)) return ((value as Json)['@list'] as unknown[]).map(operand);
  if (isReference(value) || isTypedLiteral(value)) return value;
  return unwrap(value);
}

function term(value: unknown): unknown {
  const iri = termIri(value);
  return iri === undefined ? unwrap(value) : wireTerm(iri);
}

function action(value: unknown): unknown {
  const node = one(value);
  if (node && typeof node === 'object' && !Array.isArray(node)) {
    const v = node as Json;
    const key = VALUE_KEYS.find((k) => v[k] !== undefined);
    if (key) {
      const refinement = v.refinement ?? v['odrl:refinement'] ?? v[`${NS.odrl}refinement`];
      return refinement === undefined ? term(v[key]) : { 'rdf:value': { '@id': term(v[key]) }, refinement: items(refinement).map(node2wire) };
    }
  }
  return Array.isArray(node) ? node.map(term) : term(node);
}

function typeOf(value: unknown): unknown {
  const type = one(value);
  if (typeof type !== 'string') return type;
  const name = type.startsWith('odrl:') ? type.slice(5) : type.startsWith(NS.odrl) ? type.slice(NS.odrl.length) : type;
  return TYPES.includes(name) ? name : type;
}

function node2wire(node: unknown): unknown {
  if (!node || typeof node !== 'object' || Array.isArray(node)) return unwrap(node);
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    const name = compactKey(key);
    if (name === '@type') out[name] = typeOf(value);
    else if (LISTS.includes(name)) out[name] = items(value).map(node2wire);
    else if (name === 'action') out[name] = action(value);
    else if (TERMS.includes(name) || name === 'conflict') out[name] = term(one(value));
    // Expanded JSON-LD wraps one value in an array; a JSON list stays a list.
    else if (name === 'rightOperand') out[name] = operand(Array.isArray(value) && value.length === 1 && (isLiteral(value[0]) || isReference(value[0])) ? value[0] : value);
    else if (REFERENCES.includes(name) || name === '@id') out[name] = unwrap(one(value));
    else out[name] = value;
  }
  return out;
}

/** The policy in the connector's own wire form (see the module comment). */
export function toWireForm(policy: Json): Json {
  return node2wire(policy) as Json;
}
