import type { VerifiedCredential } from '../credentials/model.ts';
import { claimsOf, permitsFor, type ConsumerClaims } from './claims.ts';
import { parseDuration } from './duration.ts';
import { EEA_COUNTRIES, REGIONS, shortTerm } from './vocabulary.ts';

/**
 * ODRL 2.2 evaluation: a pure function of the policy, the consumer's verified credentials, the request, the
 * time and the usage so far. A request is permitted when a permission for its action has every constraint
 * satisfied and no prohibition applies. Anything the engine does not understand (operand, operator, action,
 * constraint shape) refuses the request with a reason; it is never ignored.
 */

export interface PolicyRequest {
  credentials: VerifiedCredential[];
  consumerDid: string;
  datasetId: string;
  healthCategories: string[];
  /** The purpose the consumer declares; without it, the purposes its data permits allow for the dataset. */
  purpose?: string;
  /** Default "use". */
  action?: string;
  now: Date;
  /** Transfers already made under the agreement (0 while negotiating). */
  transferCount: number;
  /** When the agreement was made (elapsedTime counts from it; from `now` while negotiating). */
  agreementStart?: Date;
}

export interface Duty {
  action: string;
  /** When the duty falls due, if a dateTime or elapsedTime constraint says so. */
  dueAt?: string;
}

export interface PolicyDecision {
  permitted: boolean;
  /** One readable reason per failed constraint (or unknown term). */
  reasons: string[];
  /** Duties the consumer takes on with this permission (e.g. delete after 12 months). */
  duties: Duty[];
}

type Json = Record<string, unknown>;
type Operand = { kind: 'set'; value: string[] } | { kind: 'text'; value: string } | { kind: 'number'; value: number } | { kind: 'time'; value: number } | { kind: 'duration'; value: number } | { kind: 'boolean'; value: boolean };

interface Scope {
  request: PolicyRequest;
  claims: ConsumerClaims;
}

export const KNOWN_ACTIONS = ['use', 'read', 'reproduce', 'distribute', 'modify', 'delete', 'anonymize', 'inform', 'attribute', 'compensate', 'transfer', 'aggregate', 'archive', 'derive', 'display', 'execute', 'index', 'print', 'stream', 'transform', 'translate', 'watermark', 'extract', 'present', 'play'];
export const DUTY_ACTIONS = ['delete', 'anonymize', 'inform', 'attribute'];
export const OPERATORS = ['eq', 'neq', 'lt', 'lteq', 'gt', 'gteq', 'isAnyOf', 'isAllOf', 'isNoneOf', 'isPartOf'];

const participantText = (pick: (c: ConsumerClaims) => string | undefined, what: string) => (s: Scope): Operand | string => {
  const value = pick(s.claims);
  return value === undefined ? `the consumer presented no participant credential stating its ${what}` : { kind: 'text', value };
};
const permitted = (s: Scope): Operand => ({ kind: 'boolean', value: permitsFor(s.claims, s.request.datasetId, s.request.healthCategories, s.request.now).length > 0 });

/** Each left operand: how its value is read; a string is why it cannot be. */
export const OPERANDS: Record<string, (s: Scope) => Operand | string> = {
  purpose: (s) => {
    if (s.request.purpose) return { kind: 'set', value: [shortTerm(s.request.purpose)] };
    const purposes = permitsFor(s.claims, s.request.datasetId, s.request.healthCategories, s.request.now).flatMap((p) => p.purposes);
    return { kind: 'set', value: [...new Set(purposes)] };
  },
  dateTime: (s) => ({ kind: 'time', value: s.request.now.getTime() }),
  elapsedTime: (s) => ({ kind: 'duration', value: s.request.now.getTime() - (s.request.agreementStart ?? s.request.now).getTime() }),
  spatial: participantText((c) => c.country, 'country'),
  jurisdictionCountry: participantText((c) => c.country, 'country'),
  euEeaStatus: (s) => (s.claims.country ? { kind: 'boolean', value: EEA_COUNTRIES.includes(s.claims.country) } : 'the consumer presented no participant credential stating its country'),
  count: (s) => ({ kind: 'number', value: s.request.transferCount + 1 }),
  participantRole: participantText((c) => c.role, 'role'),
  role: participantText((c) => c.role, 'role'),
  dataspaceRole: participantText((c) => c.role, 'role'),
  membershipStatus: participantText((c) => c.membershipStatus, 'membership status'),
  organizationType: participantText((c) => c.organizationType, 'organization type'),
  dataProtectionRole: participantText((c) => c.dataProtectionRole, 'data protection role'),
  credentialType: (s) => ({ kind: 'set', value: s.claims.credentialTypes }),
  issuer: (s) => ({ kind: 'set', value: s.claims.issuers }),
  dataPermit: permitted,
  permitIssued: permitted,
  dacApproval: permitted,
};

const OPERAND_LABEL: Record<string, string> = { purpose: 'purpose', count: 'the number of transfers', elapsedTime: 'the time since the agreement', dateTime: 'the date', euEeaStatus: 'EU/EEA establishment', dataPermit: 'a valid data permit for this dataset', permitIssued: 'a valid data permit for this dataset', dacApproval: 'a data access approval for this dataset' };

function termOf(value: unknown): string | undefined {
  if (typeof value === 'string') return shortTerm(value);
  if (value && typeof value === 'object' && typeof (value as Json)['@id'] === 'string') return shortTerm((value as Json)['@id'] as string);
  return undefined;
}

function literal(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Json;
    if ('@value' in v) return v['@value'];
    if (typeof v['@id'] === 'string') return shortTerm(v['@id'] as string);
    if (Array.isArray(v['@list'])) return (v['@list'] as unknown[]).map(literal);
  }
  return typeof value === 'string' ? shortTerm(value) : value;
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && ['true', 'yes', 'granted', 'valid', 'approved', 'EU/EEA', 'EU_EEA'].includes(value)) return true;
  if (typeof value === 'string' && ['false', 'no'].includes(value)) return false;
  return undefined;
}

/** Compares an operand with the right operand; a string result explains why it cannot compare. */
function holds(operator: string, left: Operand, rightRaw: unknown): boolean | string {
  const right = literal(rightRaw);
  const list = Array.isArray(right) ? right.map(literal).map(String) : [String(right)];
  const order = (l: number, r: number) => ({ eq: l === r, neq: l !== r, lt: l < r, lteq: l <= r, gt: l > r, gteq: l >= r })[operator as 'eq'];
  switch (left.kind) {
    case 'number': {
      const r = Number(right);
      if (Array.isArray(right) || Number.isNaN(r)) return `needs a number, got ${JSON.stringify(rightRaw)}`;
      return order(left.value, r) ?? `operator ${operator} does not apply to numbers`;
    }
    case 'time': {
      const r = Date.parse(String(right));
      if (Number.isNaN(r)) return `needs a date-time, got ${JSON.stringify(rightRaw)}`;
      return order(left.value, r) ?? `operator ${operator} does not apply to dates`;
    }
    case 'duration': {
      const r = parseDuration(String(right));
      if (r === undefined) return `needs an xsd:duration such as P12M, got ${JSON.stringify(rightRaw)}`;
      return order(left.value, r) ?? `operator ${operator} does not apply to durations`;
    }
    case 'boolean': {
      const r = asBoolean(right);
      if (r === undefined) return `needs true or false, got ${JSON.stringify(rightRaw)}`;
      if (operator === 'eq') return left.value === r;
      if (operator === 'neq') return left.value !== r;
      return `operator ${operator} does not apply to true/false`;
    }
    case 'text':
    case 'set': {
      const values = left.kind === 'text' ? [left.value] : left.value;
      const inRegion = (v: string) => list.some((r) => r === v || (REGIONS[r] ?? []).includes(v));
      switch (operator) {
        case 'eq': return Array.isArray(right) ? values.length === list.length && list.every((r) => values.includes(r)) : values.includes(list[0]!);
        case 'neq': return !values.some((v) => list.includes(v));
        case 'isAnyOf': return values.some((v) => list.includes(v));
        case 'isAllOf': return list.every((r) => values.includes(r));
        case 'isNoneOf': return !values.some((v) => list.includes(v));
        case 'isPartOf': return values.length > 0 && values.every(inRegion);
        default: return `operator ${operator} does not apply to text`;
      }
    }
  }
}

function describeLeft(left: Operand): string {
  switch (left.kind) {
    case 'set': return left.value.length ? `[${left.value.join(', ')}]` : 'none';
    case 'time': return new Date(left.value).toISOString();
    case 'duration': return `${Math.round(left.value / 86_400_000)} days`;
    default: return String(left.value);
  }
}

/** Reasons a constraint fails; [] when it holds. Unknown shapes and terms fail with their own reason. */
export function constraintFailures(constraint: unknown, scope: Scope): string[] {
  if (!constraint || typeof constraint !== 'object') return [`constraint ${JSON.stringify(constraint)} is not understood`];
  const c = constraint as Json;
  for (const logical of ['and', 'andSequence', 'or', 'xone'] as const) {
    if (!(logical in c)) continue;
    const parts = c[logical];
    if (!Array.isArray(parts) || parts.length === 0) return [`logical constraint "${logical}" needs a list of constraints`];
    const results = parts.map((p) => constraintFailures(p, scope));
    // An unknown term refuses even where another branch of an "or" would hold.
    const unknown = results.flat().filter(isNotUnderstood);
    if (unknown.length > 0) return unknown;
    const satisfied = results.filter((r) => r.length === 0).length;
    if (logical === 'and' || logical === 'andSequence') return results.flat();
    if (logical === 'or') return satisfied > 0 ? [] : [`none of these holds: ${results.map((r) => `(${r.join('; ')})`).join(' or ')}`];
    return satisfied === 1 ? [] : [satisfied === 0 ? `exactly one must hold, none does: ${results.map((r) => `(${r.join('; ')})`).join(', ')}` : `exactly one must hold, ${satisfied} do`];
  }
  const operandName = termOf(c.leftOperand);
  const operator = termOf(c.operator);
  if (!operandName) return [`constraint ${JSON.stringify(constraint)} has no leftOperand`];
  const read = OPERANDS[operandName];
  if (!read) return [`left operand "${operandName}" is not understood`];
  if (!operator || !OPERATORS.includes(operator)) return [`operator "${operator ?? JSON.stringify(c.operator)}" is not understood`];
  if (!('rightOperand' in c)) return [`constraint on ${operandName} has no rightOperand`];
  const left = read(scope);
  if (typeof left === 'string') return [left];
  const result = holds(operator, left, c.rightOperand);
  if (typeof result === 'string') return [`${operandName} ${operator}: ${result}`];
  if (result) return [];
  if (left.kind === 'boolean' && operator === 'eq' && !left.value) return [`${OPERAND_LABEL[operandName] ?? operandName} is required; the consumer has none`];
  const rightText = JSON.stringify(literal(c.rightOperand));
  return [`${OPERAND_LABEL[operandName] ?? operandName} must be ${operator} ${rightText}; found ${describeLeft(left)}`];
}

function actionOf(rule: Json): string | undefined {
  return termOf(rule.action) ?? termOf((rule.action as Json | undefined)?.['rdf:value']);
}

function dutiesOf(rule: Json, scope: Scope, reasons: string[]): Duty[] {
  const duties: Duty[] = [];
  for (const duty of [...asList(rule.duty), ...asList(rule.obligation)]) {
    const action = actionOf(duty as Json);
    if (!action || !DUTY_ACTIONS.includes(action)) {
      reasons.push(`duty action "${action ?? JSON.stringify((duty as Json).action)}" is not understood`);
      continue;
    }
    let dueAt: string | undefined;
    for (const c of asList((duty as Json).constraint)) {
      const operand = termOf((c as Json).leftOperand);
      const right = literal((c as Json).rightOperand);
      const start = (scope.request.agreementStart ?? scope.request.now).getTime();
      if (operand === 'elapsedTime' && parseDuration(String(right)) !== undefined) dueAt = new Date(start + parseDuration(String(right))!).toISOString();
      else if (operand === 'dateTime' && !Number.isNaN(Date.parse(String(right)))) dueAt = new Date(String(right)).toISOString();
      else reasons.push(`duty constraint ${JSON.stringify(c)} is not understood`);
    }
    duties.push({ action, ...(dueAt ? { dueAt } : {}) });
  }
  return duties;
}

const isNotUnderstood = (reason: string) => reason.includes('not understood') || reason.includes('has no leftOperand') || reason.includes('needs a list of constraints');
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/**
 * Every duty a policy imposes (on its permissions and as obligations), with due dates counted from
 * `agreementStart`: what a consumer must honour whether or not the permission still holds.
 */
export function policyDuties(policy: Json, agreementStart: Date): Duty[] {
  const scope: Scope = { request: { credentials: [], consumerDid: '', datasetId: '', healthCategories: [], now: agreementStart, transferCount: 0, agreementStart }, claims: claimsOf([], '') };
  const ignored: string[] = [];
  return [...(asList(policy.permission) as Json[]).flatMap((p) => dutiesOf(p, scope, ignored)), ...dutiesOf({ obligation: policy.obligation }, scope, ignored)];
}

/** Decides a request under an ODRL policy (an Offer or Agreement in DSP JSON). */
export function evaluatePolicy(policy: Json, request: PolicyRequest): PolicyDecision {
  const scope: Scope = { request, claims: claimsOf(request.credentials, request.consumerDid) };
  const wanted = shortTerm(request.action ?? 'use');
  const understood: string[] = [];
  const duties: Duty[] = [];
  const permissionFailures: string[] = [];
  const prohibited: string[] = [];
  let granted = false;

  for (const permission of asList(policy.permission) as Json[]) {
    const action = actionOf(permission);
    if (!action || !KNOWN_ACTIONS.includes(action)) {
      understood.push(`permission action "${action ?? JSON.stringify(permission.action)}" is not understood`);
      continue;
    }
    const failures = asList(permission.constraint).flatMap((c) => constraintFailures(c, scope));
    const ruleDuties = dutiesOf(permission, scope, understood);
    if (action !== 'use' && action !== wanted) continue;
    if (failures.length === 0) {
      granted = true;
      duties.push(...ruleDuties);
    } else permissionFailures.push(...failures);
  }
  for (const prohibition of asList(policy.prohibition) as Json[]) {
    const action = actionOf(prohibition);
    if (!action || !KNOWN_ACTIONS.includes(action)) {
      understood.push(`prohibition action "${action ?? JSON.stringify(prohibition.action)}" is not understood`);
      continue;
    }
    if (action !== 'use' && action !== wanted) continue;
    const failures = asList(prohibition.constraint).flatMap((c) => constraintFailures(c, scope));
    const unknown = failures.filter(isNotUnderstood);
    if (unknown.length > 0) understood.push(...unknown);
    else if (failures.length === 0) prohibited.push(`"${action}" is prohibited${prohibition.constraint ? ' under these conditions' : ''}`);
  }
  duties.push(...dutiesOf({ obligation: policy.obligation }, scope, understood));

  const notUnderstood = [...understood, ...permissionFailures.filter(isNotUnderstood)];
  if (notUnderstood.length > 0) return { permitted: false, reasons: [...new Set(notUnderstood)], duties: [] };
  if (prohibited.length > 0) return { permitted: false, reasons: prohibited, duties: [] };
  if (!granted) return { permitted: false, reasons: permissionFailures.length ? [...new Set(permissionFailures)] : [`no permission grants "${wanted}"`], duties: [] };
  return { permitted: true, reasons: [], duties };
}
