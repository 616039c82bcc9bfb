import { NS } from '../vocab/namespaces.ts';
import { MII_CODE, isMiiCode } from './mii-consent.ts';
import type { BirthDatePrecision } from './deidentify.ts';
import type { ConsentModel } from './consent.ts';

/**
 * The release rules of an agreement, and their ODRL form: policy-level `obligation` duties the provider performs
 * before data leaves (DSP 2025-1 allows `obligation` in Offer and Agreement). Terms are this project's
 * (`https://w3id.org/health-dataspace-connector/ns#`), always written as full IRIs: the DSP context defines no
 * `hdc:` prefix, so a compact IRI would not expand to ours.
 *
 * | action | constraint |
 * |---|---|
 * | hdc:applyConsent | hdc:consentModel eq hdc:MiiBroadConsent or hdc:EhdsOptOut; hdc:consentPolicyCode isAllOf [codes] (MII only) |
 * | hdc:deidentify | hdc:birthDatePrecision eq "year", "year-month" or "none" |
 * | hdc:pseudonymise | hdc:pseudonymScope eq "agreement" |
 * | hdc:shiftDates (optional) | hdc:maxDateShiftDays lteq integer |
 */

export type ConsentRule = { model: 'mii-broad-consent'; policyCodes: string[] } | { model: 'ehds-opt-out' };

export interface ReleaseRules {
  consent: ConsentRule;
  birthDatePrecision: BirthDatePrecision;
  pseudonymScope: 'agreement';
  /** 0: dates are not shifted (no hdc:shiftDates obligation). */
  maxDateShiftDays: number;
}

const H = NS.hdc;
export const RELEASE_TERMS = {
  applyConsent: `${H}applyConsent`,
  deidentify: `${H}deidentify`,
  pseudonymise: `${H}pseudonymise`,
  shiftDates: `${H}shiftDates`,
  consentModel: `${H}consentModel`,
  consentPolicyCode: `${H}consentPolicyCode`,
  birthDatePrecision: `${H}birthDatePrecision`,
  pseudonymScope: `${H}pseudonymScope`,
  maxDateShiftDays: `${H}maxDateShiftDays`,
  MiiBroadConsent: `${H}MiiBroadConsent`,
  EhdsOptOut: `${H}EhdsOptOut`,
} as const;

const XSD_INTEGER = `${NS.xsd}integer`;
const MODEL_IRI: Record<ConsentModel, string> = { 'mii-broad-consent': RELEASE_TERMS.MiiBroadConsent, 'ehds-opt-out': RELEASE_TERMS.EhdsOptOut };
const PRECISIONS: readonly BirthDatePrecision[] = ['year', 'year-month', 'none'];

/** What a provider offers for patient-level data when it has no reason to choose otherwise. */
export const RECOMMENDED_RELEASE_RULES: ReleaseRules = {
  consent: { model: 'mii-broad-consent', policyCodes: [MII_CODE.mdatCollect, MII_CODE.mdatScientificUse] },
  birthDatePrecision: 'year',
  pseudonymScope: 'agreement',
  maxDateShiftDays: 30,
};

export class ReleaseRulesError extends Error {
  override name = 'ReleaseRulesError';
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(`The release rules are not valid: ${reasons.join('; ')}`);
    this.reasons = reasons;
  }
}

/** An agreement without release rules for patient-level health data: nothing is released (EHDS Art. 66). */
export class ReleaseRefused extends Error {
  override name = 'ReleaseRefused';
}

export interface OdrlConstraint {
  leftOperand: string;
  operator: string;
  rightOperand: unknown;
}
export interface OdrlDuty {
  action: string;
  constraint: OdrlConstraint[];
}

/** Checks a ReleaseRules value; throws ReleaseRulesError naming each problem. */
export function checkReleaseRules(rules: ReleaseRules): ReleaseRules {
  const problems: string[] = [];
  if (rules.consent.model === 'mii-broad-consent') {
    const codes = rules.consent.policyCodes;
    for (const code of codes) if (!isMiiCode(code)) problems.push(`consent policy code ${JSON.stringify(code)} is not an MII consent code`);
    for (const needed of [MII_CODE.mdatCollect, MII_CODE.mdatScientificUse]) if (!codes.includes(needed)) problems.push(`the MII broad consent rule needs policy code ${needed}`);
  } else if (rules.consent.model !== 'ehds-opt-out') problems.push(`unknown consent model ${JSON.stringify((rules.consent as { model: unknown }).model)}`);
  if (!PRECISIONS.includes(rules.birthDatePrecision)) problems.push(`birthDatePrecision must be one of ${PRECISIONS.join(', ')}`);
  if (rules.pseudonymScope !== 'agreement') problems.push('pseudonymScope must be "agreement"');
  if (!Number.isInteger(rules.maxDateShiftDays) || rules.maxDateShiftDays < 0 || rules.maxDateShiftDays > 3650) problems.push('maxDateShiftDays must be an integer from 0 to 3650');
  if (problems.length > 0) throw new ReleaseRulesError(problems);
  return rules;
}

/** The obligations that state these rules, for an Offer or Agreement's `obligation` array. */
export function releaseObligations(rules: ReleaseRules): OdrlDuty[] {
  checkReleaseRules(rules);
  const consent: OdrlConstraint[] = [{ leftOperand: RELEASE_TERMS.consentModel, operator: 'eq', rightOperand: { '@id': MODEL_IRI[rules.consent.model] } }];
  if (rules.consent.model === 'mii-broad-consent')
    consent.push({
      leftOperand: RELEASE_TERMS.consentPolicyCode,
      operator: 'isAllOf',
      rightOperand: [...rules.consent.policyCodes].sort(compareCodes).map((code) => ({ '@id': `urn:oid:${code}` })),
    });
  const duties: OdrlDuty[] = [
    { action: RELEASE_TERMS.applyConsent, constraint: consent },
    { action: RELEASE_TERMS.deidentify, constraint: [{ leftOperand: RELEASE_TERMS.birthDatePrecision, operator: 'eq', rightOperand: rules.birthDatePrecision }] },
    { action: RELEASE_TERMS.pseudonymise, constraint: [{ leftOperand: RELEASE_TERMS.pseudonymScope, operator: 'eq', rightOperand: rules.pseudonymScope }] },
  ];
  if (rules.maxDateShiftDays > 0)
    duties.push({
      action: RELEASE_TERMS.shiftDates,
      constraint: [{ leftOperand: RELEASE_TERMS.maxDateShiftDays, operator: 'lteq', rightOperand: { '@value': rules.maxDateShiftDays, '@type': XSD_INTEGER } }],
    });
  return duties;
}

/** An Offer or Agreement with the rules' obligations added after any it already has that are not release rules. */
export function withReleaseObligations<P extends Record<string, unknown>>(policy: P, rules: ReleaseRules): P & { obligation: unknown[] } {
  const others = (Array.isArray(policy.obligation) ? policy.obligation : []).filter((d) => !isReleaseTerm(actionOf(d)));
  return { ...policy, obligation: [...others, ...releaseObligations(rules)] };
}

/** Orders MII codes by their last arc numerically (.6 before .8 before .45). */
function compareCodes(a: string, b: string): number {
  return Number(a.split('.').pop()) - Number(b.split('.').pop()) || (a < b ? -1 : a > b ? 1 : 0);
}

function actionOf(duty: unknown): unknown {
  const action = (duty as { action?: unknown } | null)?.action;
  return action && typeof action === 'object' ? (action as { '@id'?: unknown })['@id'] : action;
}

const LOCAL_NAMES = new Set(Object.keys(RELEASE_TERMS));

function isReleaseTerm(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith(H) || value.startsWith('hdc:') || LOCAL_NAMES.has(value));
}

export type ParsedReleaseRules = { kind: 'rules'; rules: ReleaseRules } | { kind: 'none' };

type Json = Record<string, unknown>;

function iriOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return value && typeof value === 'object' && typeof (value as Json)['@id'] === 'string' ? ((value as Json)['@id'] as string) : undefined;
}

function literalOf(value: unknown): unknown {
  return value && typeof value === 'object' && !Array.isArray(value) && '@value' in (value as Json) ? (value as Json)['@value'] : value;
}

/** A term of ours written in a form the DSP context does not expand to our IRI. */
function misspelt(value: unknown): boolean {
  return typeof value === 'string' && (value.startsWith('hdc:') || LOCAL_NAMES.has(value));
}

/** The one constraint a duty must have, checked for its left operand and operator. */
function onlyConstraint(duty: Json, expected: { leftOperand: string; operators: string[] }[], problems: string[]): Map<string, OdrlConstraint> {
  const found = new Map<string, OdrlConstraint>();
  const name = iriOf(duty.action);
  const constraints = duty.constraint;
  if (!Array.isArray(constraints) || constraints.length === 0) {
    problems.push(`${name} needs a constraint`);
    return found;
  }
  for (const c of constraints as Json[]) {
    const left = iriOf(c?.leftOperand);
    const rule = expected.find((e) => e.leftOperand === left);
    if (!rule) {
      problems.push(misspelt(left) ? `${name}: write the left operand ${left} as a full IRI (${H}…)` : `${name}: unknown left operand ${left ?? '(none)'}`);
      continue;
    }
    if (found.has(left!)) problems.push(`${name}: ${left} appears twice`);
    if (!rule.operators.includes(String(iriOf(c.operator) ?? '').replace(NS.odrl, ''))) problems.push(`${name}: ${left} needs operator ${rule.operators.join(' or ')}`);
    found.set(left!, c as unknown as OdrlConstraint);
  }
  return found;
}

function consentRuleOf(duty: Json, problems: string[]): ConsentRule | undefined {
  const c = onlyConstraint(
    duty,
    [
      { leftOperand: RELEASE_TERMS.consentModel, operators: ['eq'] },
      { leftOperand: RELEASE_TERMS.consentPolicyCode, operators: ['isAllOf'] },
    ],
    problems,
  );
  const model = iriOf(c.get(RELEASE_TERMS.consentModel)?.rightOperand);
  const codes = c.get(RELEASE_TERMS.consentPolicyCode)?.rightOperand;
  if (model === RELEASE_TERMS.EhdsOptOut) {
    if (codes !== undefined) problems.push(`${RELEASE_TERMS.consentPolicyCode} applies to the MII broad consent only`);
    return { model: 'ehds-opt-out' };
  }
  if (model !== RELEASE_TERMS.MiiBroadConsent) {
    problems.push(`${RELEASE_TERMS.consentModel} must be ${RELEASE_TERMS.MiiBroadConsent} or ${RELEASE_TERMS.EhdsOptOut}, not ${model ?? '(none)'}`);
    return undefined;
  }
  const list = Array.isArray(codes) ? codes.map(iriOf) : [];
  if (list.length === 0 || list.some((x) => !x?.startsWith('urn:oid:'))) {
    problems.push(`${RELEASE_TERMS.consentPolicyCode} needs a list of policy codes as urn:oid: IRIs`);
    return undefined;
  }
  return { model: 'mii-broad-consent', policyCodes: list.map((x) => x!.slice('urn:oid:'.length)) };
}

function literalConstraint(duty: Json, leftOperand: string, operator: string, problems: string[]): unknown {
  return literalOf(onlyConstraint(duty, [{ leftOperand, operators: [operator] }], problems).get(leftOperand)?.rightOperand);
}

const REQUIRED_ACTIONS = [RELEASE_TERMS.applyConsent, RELEASE_TERMS.deidentify, RELEASE_TERMS.pseudonymise];
const KNOWN_ACTIONS: string[] = [...REQUIRED_ACTIONS, RELEASE_TERMS.shiftDates];

/** Release-rule duties placed where they do not belong (inside a permission or prohibition). */
function misplacedDuties(policy: Json): string[] {
  const rules = [...(Array.isArray(policy.permission) ? policy.permission : []), ...(Array.isArray(policy.prohibition) ? policy.prohibition : [])] as Json[];
  return rules
    .flatMap((r) => (Array.isArray(r?.duty) ? (r.duty as unknown[]) : []))
    .map(actionOf)
    .filter(isReleaseTerm)
    .map((a) => `${String(a)} must be a policy-level obligation, not a duty of a permission`);
}

/**
 * The release rules an Offer or Agreement states, strictly: every obligation whose action is ours must be one of
 * the four, written as a full IRI, with exactly the constraints it allows; anything else of ours is refused
 * with the reason (ReleaseRulesError). Obligations of other vocabularies are left to the ODRL engine.
 * `{ kind: 'none' }` when the policy has none of ours.
 */
export function parseReleaseRules(policy: unknown): ParsedReleaseRules {
  if (!policy || typeof policy !== 'object') throw new ReleaseRulesError(['the policy must be an object']);
  const p = policy as Json;
  if (p.obligation !== undefined && !Array.isArray(p.obligation)) throw new ReleaseRulesError(['obligation must be an array']);
  const problems = misplacedDuties(p);
  const duties = new Map<string, Json>();
  for (const duty of (p.obligation ?? []) as Json[]) {
    const action = actionOf(duty);
    if (!isReleaseTerm(action)) continue;
    if (misspelt(action)) problems.push(`write the action ${String(action)} as a full IRI (${H}…)`);
    else if (!KNOWN_ACTIONS.includes(action as string)) problems.push(`unknown action ${String(action)}`);
    else if (duties.has(action as string)) problems.push(`${String(action)} appears twice`);
    else duties.set(action as string, duty);
  }
  if (duties.size === 0 && problems.length === 0) return { kind: 'none' };
  for (const action of REQUIRED_ACTIONS) if (!duties.has(action)) problems.push(`release rules need the obligation ${action}`);
  const consentDuty = duties.get(RELEASE_TERMS.applyConsent);
  const deidentifyDuty = duties.get(RELEASE_TERMS.deidentify);
  const pseudonymDuty = duties.get(RELEASE_TERMS.pseudonymise);
  const shiftDuty = duties.get(RELEASE_TERMS.shiftDates);
  const consent = consentDuty ? consentRuleOf(consentDuty, problems) : undefined;
  const precision = deidentifyDuty ? literalConstraint(deidentifyDuty, RELEASE_TERMS.birthDatePrecision, 'eq', problems) : undefined;
  const scope = pseudonymDuty ? literalConstraint(pseudonymDuty, RELEASE_TERMS.pseudonymScope, 'eq', problems) : undefined;
  const shift = shiftDuty ? literalConstraint(shiftDuty, RELEASE_TERMS.maxDateShiftDays, 'lteq', problems) : 0;
  const maxDateShiftDays = typeof shift === 'string' && /^\d+$/.test(shift) ? Number(shift) : shift;
  if (problems.length > 0 || !consent) throw new ReleaseRulesError(problems.length > 0 ? problems : ['no consent rule']);
  return {
    kind: 'rules',
    rules: checkReleaseRules({ consent, birthDatePrecision: precision as BirthDatePrecision, pseudonymScope: scope as 'agreement', maxDateShiftDays: maxDateShiftDays as number }),
  };
}

/**
 * The rules a release of patient-level health data runs under. An agreement that names none releases nothing:
 * EHDS Art. 66 provides data anonymised by default, and patient-level FHIR resources are not anonymous, so
 * "no rules" cannot mean "as they are" (ReleaseRefused).
 */
export function rulesForRelease(agreement: unknown): ReleaseRules {
  const parsed = parseReleaseRules(agreement);
  if (parsed.kind === 'none') throw new ReleaseRefused(`the agreement names no release rules; patient-level health data is released only under ${REQUIRED_ACTIONS.join(', ')}`);
  return parsed.rules;
}
