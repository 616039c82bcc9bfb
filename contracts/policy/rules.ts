import { NS } from '../../vocab/namespaces.ts';
import { label, ODRL_ACTIONS, odrlName, odrlProperty, PROVIDER_OBLIGATIONS, termIri } from './terms.ts';

/**
 * A policy's rules as atomic rules: one action each (ODRL 2.2 "Policy Rule Composition": a rule naming several
 * actions stands for one rule per action), its refinements, and the parties and assets it is for, shared from
 * the policy where the rule names none ("Compact Policy").
 */

type Json = Record<string, unknown>;
export type RuleKind = 'permission' | 'prohibition' | 'obligation' | 'duty';

export interface AtomicRule {
  kind: RuleKind;
  /** The action's IRI. */
  action: string;
  refinements: unknown[];
  constraints: unknown;
  /** IRIs of the parties the rule is for; undefined: anyone. */
  assignees?: string[];
  /** IRIs of the assets the rule is about; undefined: the policy's asset, whatever it is. */
  targets?: string[];
  /** The duties of a permission, as written. */
  duties: unknown[];
}

export interface Rules {
  rules: AtomicRule[];
  unknown: string[];
}

/** Duty actions the consumer connector honours (delete) or takes on and reports (the others). */
export const DUTY_ACTIONS = ['delete', 'anonymize', 'inform', 'attribute'].map((a) => `${NS.odrl}${a}`);

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const VALUE_KEYS = ['rdf:value', `${NS.rdf}value`, 'value', 'odrl:value'];

function typesOf(node: Json): string[] {
  return asList(node['@type'] ?? node.type)
    .filter((t): t is string => typeof t === 'string')
    .map((t) => termIri(t) ?? t);
}

/** An action as written: `"use"`, `"odrl:use"`, `{"@id": …}`, or `{"rdf:value": …, "refinement": […]}`. */
function readAction(value: unknown): { action?: string; refinements: unknown[]; raw: unknown } {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const node = value as Json;
    const key = VALUE_KEYS.find((k) => node[k] !== undefined);
    if (key) return { action: termIri(node[key]), refinements: asList(odrlProperty(node, 'refinement')), raw: node[key] };
  }
  return { action: termIri(value), refinements: [], raw: value };
}

function knownAction(kind: RuleKind, action: string | undefined): boolean {
  if (action === undefined) return false;
  if (kind === 'duty') return DUTY_ACTIONS.includes(action);
  if (kind === 'obligation') return DUTY_ACTIONS.includes(action) || action in PROVIDER_OBLIGATIONS;
  const name = odrlName(action);
  return name !== undefined && name in ODRL_ACTIONS;
}

/** Party or asset IRIs; a collection (defined by refinements, not by its IRI) is not understood. */
function readIris(value: unknown, what: string, unknown: string[]): string[] | undefined {
  if (value === undefined) return undefined;
  const iris: string[] = [];
  for (const item of asList(value)) {
    const node = item && typeof item === 'object' ? (item as Json) : undefined;
    const collection = node && (typesOf(node).some((t) => t.endsWith('Collection')) || odrlProperty(node, 'refinement') !== undefined);
    const iri = collection ? undefined : typeof item === 'string' ? item : typeof node?.['@id'] === 'string' ? node['@id'] : undefined;
    if (iri === undefined) unknown.push(`${what} ${JSON.stringify(item)} is not understood (only party and asset IRIs are)`);
    else iris.push(iri);
  }
  return iris;
}

/** The atomic rules of one kind of a policy (`permission`, `prohibition`, `obligation`) or of a permission (`duty`). */
export function atomicRules(owner: Json, kind: RuleKind, policy: Json = owner): Rules {
  const unknown: string[] = [];
  const rules: AtomicRule[] = [];
  for (const item of asList(odrlProperty(owner, kind))) {
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      unknown.push(`${kind} ${JSON.stringify(item)} is not understood`);
      continue;
    }
    const rule = item as Json;
    const assignees = readIris(odrlProperty(rule, 'assignee') ?? odrlProperty(policy, 'assignee'), 'assignee', unknown);
    const targets = readIris(odrlProperty(rule, 'target') ?? odrlProperty(policy, 'target'), 'target', unknown);
    const actions = asList(odrlProperty(rule, 'action') ?? (kind === 'duty' ? undefined : odrlProperty(policy, 'action')));
    if (actions.length === 0) unknown.push(`${kind} without an action is not understood`);
    for (const value of actions) {
      const { action, refinements, raw } = readAction(value);
      if (!knownAction(kind, action)) {
        unknown.push(`${kind} action ${JSON.stringify(action ? label(action) : raw)} is not understood`);
        continue;
      }
      rules.push({
        kind,
        action: action!,
        refinements,
        constraints: odrlProperty(rule, 'constraint'),
        duties: asList(odrlProperty(rule, 'duty')),
        ...(assignees ? { assignees } : {}),
        ...(targets ? { targets } : {}),
      });
    }
  }
  return { rules, unknown };
}
