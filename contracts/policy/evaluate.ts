import type { VerifiedCredential } from '../credentials/model.ts';
import { claimsOf } from './claims.ts';
import { checkConstraints, literal, logicalOf, type Check, type Scope } from './constraints.ts';
import { addDuration, parseDateTime, parseDuration } from './duration.ts';
import { atomicRules, type AtomicRule } from './rules.ts';
import { includedIn, label, odrl, odrlName, odrlProperty, OPERATORS, PROVIDER_OBLIGATIONS, termIri } from './terms.ts';

/**
 * ODRL 2.2 evaluation, as the ODRL Formal Semantics draft describes an evaluator in the access control scenario:
 * a pure function of the policy, the consumer's verified credentials, the request, the time and the usage so far.
 * The requested action is permitted when an active permission covers it (its action, assignee and target; all its
 * constraints and refinements satisfied; no duty overdue) and the policy's conflict strategy lets no active
 * prohibition override it. Anything the engine does not understand refuses the request with a reason; it is never
 * ignored. docs/odrl-profile.md gives each decision and its reason.
 */

export interface PolicyRequest {
  credentials: VerifiedCredential[];
  consumerDid: string;
  datasetId: string;
  healthCategories: string[];
  /** The purpose the consumer declares; without it, the purposes its data permits allow for the dataset. */
  purpose?: string;
  /** Default `use`; a bare ODRL name or an IRI. */
  action?: string;
  now: Date;
  /** Transfers already made under the agreement (0 while negotiating). */
  transferCount: number;
  /** When the agreement was made (elapsedTime counts from it; from `now` while negotiating). */
  agreementStart?: Date;
}

/** A duty the consumer takes on (e.g. delete after 12 months): the ODRL action's name and when it falls due. */
export interface Duty {
  action: string;
  dueAt?: string;
}

/** An obligation the provider (assigner) performs when it releases data, with its parameters by left operand IRI. */
export interface ProviderObligation {
  action: string;
  parameters: Record<string, unknown>;
}

export interface PolicyDecision {
  permitted: boolean;
  /** One readable reason per failed constraint (or unknown term). */
  reasons: string[];
  /** Duties the consumer takes on with this permission. */
  duties: Duty[];
  /** Obligations of the provider the policy states (hdc:applyConsent, hdc:deidentify…). */
  providerObligations: ProviderObligation[];
}

type Json = Record<string, unknown>;
const CONFLICT = ['perm', 'prohibit', 'invalid'] as const;

/** The atomic constraints of a duty or an obligation, with their terms read. */
function constraintTerms(rule: AtomicRule) {
  return [rule.constraints]
    .flat()
    .filter((c) => c !== undefined)
    .map((raw) => {
      const node = (raw && typeof raw === 'object' ? raw : {}) as Json;
      return {
        raw,
        node,
        operand: termIri(odrlProperty(node, 'leftOperand')),
        operator: odrlName(termIri(odrlProperty(node, 'operator'))),
        right: odrlProperty(node, 'rightOperand'),
      };
    });
}

/** When a duty falls due: its elapsedTime (counted from `start`) or dateTime constraint; other constraints are not understood. */
function dueDate(rule: AtomicRule, start: number, unknown: string[]): string | undefined {
  let due: number | undefined;
  if (rule.refinements.length > 0) unknown.push(`refinements of the duty ${label(rule.action)} are not understood`);
  for (const { raw, node, operand, operator, right } of constraintTerms(rule)) {
    const text = String([literal(right)].flat()[0]);
    const duration = operand === odrl('elapsedTime') ? parseDuration(text) : undefined;
    const at = operand === odrl('dateTime') ? parseDateTime(text) : undefined;
    if (logicalOf(node) || !['eq', 'lt', 'lteq'].includes(operator ?? '') || (duration === undefined && at === undefined)) {
      unknown.push(`duty constraint ${JSON.stringify(raw)} is not understood (a duty takes an elapsedTime or dateTime it falls due by)`);
      continue;
    }
    const instant = duration ? addDuration(start, duration) : at!;
    due = due === undefined ? instant : Math.min(due, instant);
  }
  return due === undefined ? undefined : new Date(due).toISOString();
}

function duty(rule: AtomicRule, start: number, unknown: string[]): Duty {
  const dueAt = dueDate(rule, start, unknown);
  return { action: odrlName(rule.action) ?? rule.action, ...(dueAt ? { dueAt } : {}) };
}

/** A provider obligation's parameters: each constraint names one of the action's left operands. */
function providerObligation(rule: AtomicRule, unknown: string[]): ProviderObligation {
  const parameters: Record<string, unknown> = {};
  for (const { raw, operand, operator, right } of constraintTerms(rule)) {
    if (!operand || !PROVIDER_OBLIGATIONS[rule.action]!.includes(operand) || !(OPERATORS as readonly string[]).includes(operator ?? '') || right === undefined) {
      unknown.push(`constraint ${JSON.stringify(raw)} of the obligation ${label(rule.action)} is not understood`);
      continue;
    }
    parameters[operand] = literal(right);
  }
  return { action: rule.action, parameters };
}

/** Whether a rule is about the requested action (or one it includes), for this consumer and dataset; else why not. */
function notApplicable(rule: AtomicRule, wanted: string, request: PolicyRequest): string | undefined {
  if (!includedIn(wanted, rule.action)) return `the ${rule.kind} is for ${label(rule.action)}, not ${label(wanted)}`;
  if (rule.assignees && !rule.assignees.includes(request.consumerDid)) return `the ${rule.kind} is assigned to ${rule.assignees.join(', ')}, not to ${request.consumerDid}`;
  if (rule.targets && !rule.targets.includes(request.datasetId)) return `the ${rule.kind} is about ${rule.targets.join(', ')}, not ${request.datasetId}`;
  return undefined;
}

function activation(rule: AtomicRule, scope: Scope): Check {
  const constraints = checkConstraints(rule.constraints, scope);
  const refinements = checkConstraints(rule.refinements, scope);
  return { failed: [...constraints.failed, ...refinements.failed.map((f) => `${label(rule.action)}: ${f}`)], unknown: [...constraints.unknown, ...refinements.unknown] };
}

function conflictOf(policy: Json, unknown: string[]): (typeof CONFLICT)[number] {
  const value = odrlProperty(policy, 'conflict');
  if (value === undefined) return 'invalid';
  const name = odrlName(termIri(value));
  if (name && (CONFLICT as readonly string[]).includes(name)) return name as (typeof CONFLICT)[number];
  unknown.push(`conflict strategy ${JSON.stringify(value)} is not understood`);
  return 'invalid';
}

const refuse = (reasons: string[]): PolicyDecision => ({ permitted: false, reasons: [...new Set(reasons)], duties: [], providerObligations: [] });

/** Decides a request under an ODRL policy (an Offer or Agreement in DSP JSON). */
export function evaluatePolicy(policy: Json, request: PolicyRequest): PolicyDecision {
  const scope: Scope = { request, claims: claimsOf(request.credentials, request.consumerDid) };
  const wanted = termIri(request.action ?? 'use') ?? String(request.action);
  const start = (request.agreementStart ?? request.now).getTime();
  const permissions = atomicRules(policy, 'permission');
  const prohibitions = atomicRules(policy, 'prohibition');
  const obligations = atomicRules(policy, 'obligation');
  const unknown = [...permissions.unknown, ...prohibitions.unknown, ...obligations.unknown];
  // The parent policy is not at hand (nothing is fetched), and without it the rules are incomplete.
  if (odrlProperty(policy, 'inheritFrom') !== undefined) unknown.push('inheritFrom is not understood: the connector does not resolve parent policies');
  const conflict = conflictOf(policy, unknown);
  const granted: Duty[] = [];
  const failures: string[] = [];
  const skipped: string[] = [];
  let active = 0;

  for (const rule of permissions.rules) {
    const duties = atomicRules({ duty: rule.duties }, 'duty');
    unknown.push(...duties.unknown);
    const ruleDuties = duties.rules.map((d) => duty(d, start, unknown));
    const check = activation(rule, scope);
    unknown.push(...check.unknown);
    const why = notApplicable(rule, wanted, request);
    if (why) {
      skipped.push(why);
      continue;
    }
    const overdue = ruleDuties.filter((d) => d.dueAt && Date.parse(d.dueAt) <= request.now.getTime()).map((d) => `the ${d.action} duty fell due at ${d.dueAt}`);
    const failed = [...check.failed, ...overdue];
    if (failed.length > 0) failures.push(...failed);
    else {
      active += 1;
      granted.push(...ruleDuties);
    }
  }
  const prohibited: string[] = [];
  for (const rule of prohibitions.rules) {
    const check = activation(rule, scope);
    unknown.push(...check.unknown);
    if (!notApplicable(rule, wanted, request) && check.failed.length === 0)
      prohibited.push(`${label(rule.action)} is prohibited${rule.constraints ? ' under these conditions' : ''}`);
  }
  const providerObligations: ProviderObligation[] = [];
  for (const rule of obligations.rules) {
    if (rule.action in PROVIDER_OBLIGATIONS) providerObligations.push(providerObligation(rule, unknown));
    else granted.push(duty(rule, start, unknown));
  }

  if (unknown.length > 0) return refuse(unknown);
  if (active === 0) return refuse(failures.length ? failures : skipped.length ? skipped : [`no permission grants ${label(wanted)}`]);
  if (prohibited.length > 0 && conflict === 'prohibit') return refuse(prohibited);
  if (prohibited.length > 0 && conflict === 'invalid')
    return refuse([...prohibited, 'a permission and a prohibition both apply, so the policy is void (conflict: invalid, the ODRL default)']);
  return { permitted: true, reasons: [], duties: granted, providerObligations };
}

/**
 * Every duty a policy imposes on the consumer (on its permissions and as obligations), with due dates counted
 * from `agreementStart`: what a consumer must honour whether or not the permission still holds.
 */
export function policyDuties(policy: Json, agreementStart: Date): Duty[] {
  const ignored: string[] = [];
  const start = agreementStart.getTime();
  const permissionDuties = atomicRules(policy, 'permission').rules.flatMap((p) => atomicRules({ duty: p.duties }, 'duty').rules);
  const obligations = atomicRules(policy, 'obligation').rules.filter((r) => !(r.action in PROVIDER_OBLIGATIONS));
  return [...permissionDuties, ...obligations].map((d) => duty(d, start, ignored));
}

/** The provider's obligations a policy states, with their parameters (health/release-rules.ts applies them). */
export function policyProviderObligations(policy: Json): ProviderObligation[] {
  const ignored: string[] = [];
  return atomicRules(policy, 'obligation')
    .rules.filter((r) => r.action in PROVIDER_OBLIGATIONS)
    .map((r) => providerObligation(r, ignored));
}
