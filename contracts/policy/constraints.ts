import { permitsFor, type ConsumerClaims } from './claims.ts';
import { addDuration, parseDateTime, parseDuration } from './duration.ts';
import type { PolicyRequest } from './evaluate.ts';
import { EDC_IN_FORCE_DATE, hdc, label, LOGICAL, odrl, odrlName, odrlProperty, OPERATORS, termIri, type Logical } from './terms.ts';
import { EEA_COUNTRIES, REGIONS, shortTerm } from './vocabulary.ts';

/**
 * ODRL constraints (and action refinements, which have the same shape) evaluated against what the consumer's
 * verified credentials and the request say. A constraint is satisfied, not satisfied (`failed`, with a readable
 * reason) or not understood (`unknown`): an unknown term is never ignored.
 */

export interface Scope {
  request: PolicyRequest;
  claims: ConsumerClaims;
}

export interface Check {
  failed: string[];
  unknown: string[];
}

type Json = Record<string, unknown>;
type Operand =
  | { kind: 'set'; value: string[] }
  | { kind: 'text'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'time'; value: number; start?: number }
  | { kind: 'elapsed'; now: number; start: number }
  | { kind: 'boolean'; value: boolean };

const startOf = (s: Scope) => (s.request.agreementStart ?? s.request.now).getTime();
const participantText =
  (pick: (c: ConsumerClaims) => string | undefined, what: string) =>
  (s: Scope): Operand | string => {
    const value = pick(s.claims);
    return value === undefined ? `the consumer presented no participant credential stating its ${what}` : { kind: 'text', value };
  };

/** Each left operand by IRI: how its value is read; a string says why it cannot be. */
export const OPERANDS: Record<string, (s: Scope) => Operand | string> = {
  [odrl('purpose')]: (s) => {
    if (s.request.purpose) return { kind: 'set', value: [shortTerm(s.request.purpose)] };
    const purposes = permitsFor(s.claims, s.request.datasetId, s.request.healthCategories, s.request.now).flatMap((p) => p.purposes);
    return { kind: 'set', value: [...new Set(purposes)] };
  },
  [odrl('dateTime')]: (s) => ({ kind: 'time', value: s.request.now.getTime() }),
  [odrl('elapsedTime')]: (s) => ({ kind: 'elapsed', now: s.request.now.getTime(), start: startOf(s) }),
  [odrl('spatial')]: participantText((c) => c.country, 'country'),
  [odrl('count')]: (s) => ({ kind: 'number', value: s.request.transferCount + 1 }),
  [EDC_IN_FORCE_DATE]: (s) => ({ kind: 'time', value: s.request.now.getTime(), start: startOf(s) }),
  [hdc('jurisdictionCountry')]: participantText((c) => c.country, 'country'),
  [hdc('euEeaStatus')]: (s) =>
    s.claims.country ? { kind: 'boolean', value: EEA_COUNTRIES.includes(s.claims.country) } : 'the consumer presented no participant credential stating its country',
  [hdc('dataspaceRole')]: participantText((c) => c.role, 'role'),
  [hdc('membershipStatus')]: participantText((c) => c.membershipStatus, 'membership status'),
  [hdc('organizationType')]: participantText((c) => c.organizationType, 'organization type'),
  [hdc('dataProtectionRole')]: participantText((c) => c.dataProtectionRole, 'data protection role'),
  [hdc('credentialType')]: (s) => ({ kind: 'set', value: s.claims.credentialTypes }),
  [hdc('credentialIssuer')]: (s) => ({ kind: 'set', value: s.claims.issuers }),
  [hdc('dataPermit')]: (s) => ({ kind: 'boolean', value: permitsFor(s.claims, s.request.datasetId, s.request.healthCategories, s.request.now).length > 0 }),
};

const OPERAND_LABEL: Record<string, string> = {
  [odrl('purpose')]: 'purpose',
  [odrl('count')]: 'the number of transfers',
  [odrl('elapsedTime')]: 'the time since the agreement',
  [odrl('dateTime')]: 'the date',
  [EDC_IN_FORCE_DATE]: 'the date',
  [hdc('euEeaStatus')]: 'EU/EEA establishment',
  [hdc('dataPermit')]: 'a valid data permit for this dataset',
};

/** A right operand's value: `@value`/`@id`/`@list` read, IRIs of known vocabularies shortened for comparison. */
export function literal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(literal);
  if (value && typeof value === 'object') {
    const v = value as Json;
    if ('@value' in v) return v['@value'];
    if (typeof v['@id'] === 'string') return shortTerm(v['@id']);
    if (Array.isArray(v['@list'])) return v['@list'].map(literal);
  }
  return typeof value === 'string' ? shortTerm(value) : value;
}

function asBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return undefined;
}

/** EDC's in-force expression `contractAgreement+30d` (ms, s, m, h, d), relative to the agreement. */
function inForceInstant(text: string, start: number): number | undefined {
  const match = /^contractAgreement\s*\+\s*(\d+)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return parseDateTime(text);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 'ms'];
  return start + Number(match[1]) * unit;
}

const DATE_ONLY = /^-?\d{4,}-\d{2}-\d{2}$/;
const onDay = (operator: string, t: number, day: number) =>
  ({ eq: t >= day && t < day + 86_400_000, neq: t < day || t >= day + 86_400_000, lt: t < day, lteq: t < day + 86_400_000, gt: t >= day + 86_400_000, gteq: t >= day })[
    operator as 'eq'
  ];
const order = (operator: string, l: number, r: number) => ({ eq: l === r, neq: l !== r, lt: l < r, lteq: l <= r, gt: l > r, gteq: l >= r })[operator as 'eq'];

/** Compares an operand with the right operand; a string result explains why it cannot compare. */
function holds(operator: string, left: Operand, rightRaw: unknown): boolean | string {
  const value = literal(rightRaw);
  // Expanded JSON-LD gives every value as an array: one value is that value.
  const right = Array.isArray(value) && value.length === 1 ? value[0] : value;
  const single = Array.isArray(right) ? undefined : String(right);
  switch (left.kind) {
    case 'number': {
      const r = Number(single);
      if (single === undefined || Number.isNaN(r)) return `needs a number, got ${JSON.stringify(rightRaw)}`;
      return order(operator, left.value, r) ?? `operator ${operator} does not apply to numbers`;
    }
    case 'time': {
      const r = single === undefined ? undefined : left.start === undefined ? parseDateTime(single) : inForceInstant(single, left.start);
      if (r === undefined) return `needs an xsd:dateTime${left.start === undefined ? '' : ' or contractAgreement+<n>d'}, got ${JSON.stringify(rightRaw)}`;
      // An xsd:date is the whole day: lteq includes it, eq holds all day long, gt starts the day after.
      if (DATE_ONLY.test(single!)) return onDay(operator, left.value, r) ?? `operator ${operator} does not apply to dates`;
      return order(operator, left.value, r) ?? `operator ${operator} does not apply to dates`;
    }
    case 'elapsed': {
      const duration = single === undefined ? undefined : parseDuration(single);
      if (!duration) return `needs an xsd:duration such as P12M, got ${JSON.stringify(rightRaw)}`;
      // "elapsedTime eq P12M" is the period the rule may be exercised in (ODRL 2.2): it holds until its end.
      const end = addDuration(left.start, duration);
      return order(operator === 'eq' ? 'lteq' : operator, left.now, end) ?? `operator ${operator} does not apply to durations`;
    }
    case 'boolean': {
      const r = asBoolean(right);
      if (r === undefined) return `needs true or false, got ${JSON.stringify(rightRaw)}`;
      if (operator === 'eq' || operator === 'neq') return (left.value === r) === (operator === 'eq');
      return `operator ${operator} does not apply to true/false`;
    }
    case 'text':
    case 'set':
      return holdsOnSet(operator, left.kind === 'text' ? [left.value] : left.value, right);
  }
}

function holdsOnSet(operator: string, values: string[], right: unknown): boolean | string {
  const list = (Array.isArray(right) ? right : [right]).map(String);
  const inRegion = (v: string) => list.some((r) => r === v || (REGIONS[r] ?? []).includes(v));
  switch (operator) {
    // A single value is eq when the consumer's set holds it (a permit may name several purposes); a list, when the sets are equal.
    case 'eq':
      return Array.isArray(right) ? values.length === list.length && list.every((r) => values.includes(r)) : values.includes(list[0]!);
    case 'neq':
      return !values.some((v) => list.includes(v));
    case 'isAnyOf':
      return values.some((v) => list.includes(v));
    case 'isAllOf':
      return list.every((r) => values.includes(r));
    case 'isNoneOf':
      return !values.some((v) => list.includes(v));
    case 'isPartOf':
      return values.length > 0 && values.every(inRegion);
    case 'hasPart':
      return list.every((r) => values.includes(r));
    default:
      return `operator ${operator} does not apply to text`;
  }
}

function describe(left: Operand): string {
  switch (left.kind) {
    case 'set':
      return left.value.length ? `[${left.value.join(', ')}]` : 'none';
    case 'time':
      return new Date(left.value).toISOString();
    case 'elapsed':
      return `${Math.floor((left.now - left.start) / 86_400_000)} days`;
    default:
      return String(left.value);
  }
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
/** The members of a logical constraint: a JSON array, or an `@list` as the ODRL context writes it. */
const members = (value: unknown): unknown[] | undefined =>
  Array.isArray(value) ? value : value && typeof value === 'object' && Array.isArray((value as Json)['@list']) ? ((value as Json)['@list'] as unknown[]) : undefined;

/** The logical operator of a constraint (`and`, `odrl:or`, `http://www.w3.org/ns/odrl/2/xone`…), if it is one. */
export function logicalOf(c: Json): { operator: Logical; parts: unknown } | undefined {
  for (const operator of LOGICAL) {
    const parts = odrlProperty(c, operator);
    if (parts !== undefined) return { operator, parts };
  }
  return undefined;
}

const EMPTY: Check = { failed: [], unknown: [] };
const merge = (checks: Check[]): Check => ({ failed: checks.flatMap((c) => c.failed), unknown: checks.flatMap((c) => c.unknown) });

function logical(operator: Logical, partsValue: unknown, scope: Scope): Check {
  const parts = members(partsValue);
  if (!parts || parts.length === 0) return { failed: [], unknown: [`logical constraint "${operator}" needs a list of constraints`] };
  const results = parts.map((p) => checkConstraint(p, scope));
  // An unknown term refuses even where another branch of an "or" would hold.
  const unknown = results.flatMap((r) => r.unknown);
  if (unknown.length > 0) return { failed: [], unknown };
  const satisfied = results.filter((r) => r.failed.length === 0).length;
  const each = results.map((r) => `(${r.failed.join('; ')})`);
  if (operator === 'and' || operator === 'andSequence') return merge(results);
  if (operator === 'or') return satisfied > 0 ? EMPTY : { failed: [`none of these holds: ${each.join(' or ')}`], unknown: [] };
  if (satisfied === 1) return EMPTY;
  return { failed: [satisfied === 0 ? `exactly one must hold, none does: ${each.join(', ')}` : `exactly one must hold, ${satisfied} do`], unknown: [] };
}

/** Evaluates one constraint (atomic or logical) in the scope. */
export function checkConstraint(constraint: unknown, scope: Scope): Check {
  if (!constraint || typeof constraint !== 'object' || Array.isArray(constraint)) return { failed: [], unknown: [`constraint ${JSON.stringify(constraint)} is not understood`] };
  const c = constraint as Json;
  const compound = logicalOf(c);
  if (compound) return logical(compound.operator, compound.parts, scope);
  const operandRaw = odrlProperty(c, 'leftOperand');
  if (operandRaw === undefined) return { failed: [], unknown: [`constraint ${JSON.stringify(constraint)} has no leftOperand`] };
  const operand = termIri(operandRaw);
  const read = operand === undefined ? undefined : OPERANDS[operand];
  if (!operand || !read) return { failed: [], unknown: [`left operand ${JSON.stringify(operand ? label(operand) : operandRaw)} is not understood`] };
  const operatorIri = termIri(odrlProperty(c, 'operator'));
  const operator = odrlName(operatorIri);
  if (!operator || !(OPERATORS as readonly string[]).includes(operator))
    return { failed: [], unknown: [`operator ${JSON.stringify(operatorIri ? label(operatorIri) : odrlProperty(c, 'operator'))} is not understood`] };
  const rightOperand = odrlProperty(c, 'rightOperand');
  if (rightOperand === undefined) return { failed: [], unknown: [`constraint on ${label(operand)} has no rightOperand`] };
  const left = read(scope);
  if (typeof left === 'string') return { failed: [left], unknown: [] };
  const result = holds(operator, left, rightOperand);
  if (typeof result === 'string') return { failed: [`${label(operand)} ${operator}: ${result}`], unknown: [] };
  if (result) return EMPTY;
  const name = OPERAND_LABEL[operand] ?? label(operand);
  if (left.kind === 'boolean' && operator === 'eq' && !left.value) return { failed: [`${name} is required; the consumer has none`], unknown: [] };
  return { failed: [`${name} must be ${operator} ${JSON.stringify(literal(rightOperand))}; found ${describe(left)}`], unknown: [] };
}

/** Evaluates a list of constraints (all must hold). */
export function checkConstraints(constraints: unknown, scope: Scope): Check {
  return merge(asList(constraints).map((c) => checkConstraint(c, scope)));
}
