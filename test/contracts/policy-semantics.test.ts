import { afterEach, describe, expect, it } from 'vitest';
import { evaluatePolicy, policyDuties, type PolicyRequest } from '../../contracts/policy/evaluate.ts';
import { policyProviderObligations } from '../../contracts/policy/engine.ts';
import { addDuration, parseDateTime, parseDuration } from '../../contracts/policy/duration.ts';
import type { VerifiedCredential } from '../../contracts/credentials/model.ts';
import { NS } from '../../vocab/namespaces.ts';

/**
 * The decisions of docs/odrl-profile.md ("Decisions"), one describe each: what the ODRL 2.2 information model
 * and the ODRL Formal Semantics draft say, and EDC where they are silent.
 */

const consumer = 'did:web:institute.example';
const dataset = 'urn:uuid:dataset-1';
const now = new Date('2026-11-23T12:00:00Z');
const hdc = (name: string) => `${NS.hdc}${name}`;

const participant = (claims: Record<string, unknown> = {}): VerifiedCredential => ({
  type: ['VerifiableCredential', 'ParticipantCredential'],
  issuer: 'did:web:authority.example',
  credentialSubject: { id: consumer, headquartersCountry: 'LU', dataspaceRole: 'research-institute', membershipStatus: 'active', ...claims },
});
const request = (overrides: Partial<PolicyRequest> = {}): PolicyRequest => ({
  credentials: [participant()],
  consumerDid: consumer,
  datasetId: dataset,
  healthCategories: [],
  now,
  transferCount: 0,
  ...overrides,
});
const country = (code: string) => ({ leftOperand: 'odrl:spatial', operator: 'eq', rightOperand: code });
const offer = (rules: Record<string, unknown>) => ({ '@type': 'Offer', '@id': 'urn:uuid:o1', ...rules });
const decide = (rules: Record<string, unknown>, overrides: Partial<PolicyRequest> = {}) => evaluatePolicy(offer(rules), request(overrides));

describe('several permissions: the action is permitted when one active permission covers it (Formal Semantics, access control)', () => {
  it('grants when any one holds, whichever comes first', () => {
    expect(
      decide({
        permission: [
          { action: 'use', constraint: [country('FR')] },
          { action: 'use', constraint: [country('LU')] },
        ],
      }).permitted,
    ).toBe(true);
    expect(
      decide({
        permission: [
          { action: 'use', constraint: [country('LU')] },
          { action: 'use', constraint: [country('FR')] },
        ],
      }).permitted,
    ).toBe(true);
  });
  it('refuses with the reasons of every permission when none holds', () => {
    expect(
      decide({
        permission: [
          { action: 'use', constraint: [country('FR')] },
          { action: 'use', constraint: [country('DE')] },
        ],
      }).reasons,
    ).toEqual(['odrl:spatial must be eq "FR"; found LU', 'odrl:spatial must be eq "DE"; found LU']);
  });
  it('still refuses an unknown term in a permission that is not needed', () => {
    expect(decide({ permission: [{ action: 'use' }, { action: 'use', constraint: [{ leftOperand: 'odrl:industry', operator: 'eq', rightOperand: 'x' }] }] }).reasons).toEqual([
      'left operand "odrl:industry" is not understood',
    ]);
  });
});

describe('actions: ODRL 2.2 core and common vocabulary, with odrl:includedIn', () => {
  it('a use permission covers an action included in use (read, sell is not: it is included in transfer)', () => {
    expect(decide({ permission: [{ action: 'use' }] }, { action: 'read' }).permitted).toBe(true);
    expect(decide({ permission: [{ action: 'use' }] }, { action: 'odrl:sell' }).reasons).toEqual(['the permission is for odrl:use, not odrl:sell']);
    expect(decide({ permission: [{ action: 'odrl:transfer' }] }, { action: 'odrl:sell' }).permitted).toBe(true);
    expect(decide({ permission: [{ action: 'odrl:sell' }] }, { action: 'odrl:sell' }).permitted).toBe(true);
  });
  it('a read permission does not cover use', () => {
    expect(decide({ permission: [{ action: 'odrl:read' }] }).reasons).toEqual(['the permission is for odrl:read, not odrl:use']);
  });
  it('action ["use"] and several actions in one rule (one atomic rule per action, ODRL 2.2 "Policy Rule Composition")', () => {
    expect(decide({ permission: [{ action: ['use'] }] }).permitted).toBe(true);
    expect(decide({ permission: [{ action: ['odrl:read', 'odrl:use'] }] }).permitted).toBe(true);
    expect(decide({ permission: [{ action: ['odrl:read', 'odrl:teleport'] }] }).reasons).toEqual(['permission action "odrl:teleport" is not understood']);
  });
  it('a prohibition of use covers a request to read', () => {
    expect(decide({ permission: [{ action: 'odrl:read' }], prohibition: [{ action: 'use' }], conflict: 'prohibit' }, { action: 'read' }).reasons).toEqual([
      'odrl:use is prohibited',
    ]);
  });
});

describe('policy-level properties shared by every rule ("Compact Policy")', () => {
  it('an action, assignee or target at the policy level applies to rules that name none', () => {
    expect(decide({ action: 'use', permission: [{ constraint: [country('LU')] }] }).permitted).toBe(true);
    expect(decide({ action: 'odrl:read', permission: [{}] }).reasons).toEqual(['the permission is for odrl:read, not odrl:use']);
  });
  it('inheritFrom is refused: the parent policy is not at hand', () => {
    expect(decide({ inheritFrom: 'https://other.example/policy/1', permission: [{ action: 'use' }] }).reasons).toEqual([
      'inheritFrom is not understood: the connector does not resolve parent policies',
    ]);
  });
});

describe('action refinements (Formal Semantics: permitted only with all refinements satisfied)', () => {
  const refined = (code: string) => ({ permission: [{ action: { 'rdf:value': { '@id': 'odrl:use' }, refinement: [country(code)] } }] });
  it('are evaluated, not dropped', () => {
    expect(decide(refined('LU')).permitted).toBe(true);
    expect(decide(refined('FR')).reasons).toEqual(['odrl:use: odrl:spatial must be eq "FR"; found LU']);
  });
  it('in the expanded form too', () => {
    const expanded = { permission: [{ action: [{ [`${NS.rdf}value`]: [{ '@id': `${NS.odrl}use` }], [`${NS.odrl}refinement`]: [country('FR')] }] }] };
    expect(decide(expanded).permitted).toBe(false);
  });
  it('an unknown term in a refinement refuses', () => {
    expect(decide({ permission: [{ action: { 'rdf:value': 'use', refinement: [{ leftOperand: 'odrl:resolution', operator: 'lteq', rightOperand: 300 }] } }] }).reasons).toEqual([
      'left operand "odrl:resolution" is not understood',
    ]);
  });
});

describe('assignee and target (Formal Semantics: the rule covers the request only for its assignee and target)', () => {
  it('a rule-level assignee is checked', () => {
    expect(decide({ permission: [{ action: 'use', assignee: consumer }] }).permitted).toBe(true);
    expect(decide({ permission: [{ action: 'use', assignee: { '@id': 'did:web:other.example' } }] }).reasons).toEqual([
      `the permission is assigned to did:web:other.example, not to ${consumer}`,
    ]);
  });
  it('a policy-level assignee applies to every rule (an Agreement names its consumer)', () => {
    expect(decide({ assignee: 'did:web:other.example', permission: [{ action: 'use' }] }).permitted).toBe(false);
    expect(decide({ assignee: consumer, permission: [{ action: 'use' }] }).permitted).toBe(true);
  });
  it('a party collection is not understood', () => {
    expect(decide({ permission: [{ action: 'use', assignee: { '@type': 'PartyCollection', refinement: [country('LU')] } }] }).reasons[0]).toMatch(/^assignee .* is not understood/);
  });
  it('the target must be the dataset asked for', () => {
    expect(decide({ target: dataset, permission: [{ action: 'use' }] }).permitted).toBe(true);
    expect(decide({ permission: [{ action: 'use', target: 'urn:uuid:other' }] }).reasons).toEqual([`the permission is about urn:uuid:other, not ${dataset}`]);
  });
});

describe('durations are calendar durations (XML Schema 1.1 Part 2, Appendix E)', () => {
  const at = (iso: string, duration: string) => new Date(addDuration(Date.parse(iso), parseDuration(duration)!)).toISOString();
  it('P1M and P1Y add calendar months and years', () => {
    expect(at('2026-01-15T00:00:00Z', 'P1M')).toBe('2026-02-15T00:00:00.000Z');
    expect(at('2026-01-31T00:00:00Z', 'P1M')).toBe('2026-02-28T00:00:00.000Z');
    expect(at('2028-02-29T00:00:00Z', 'P1Y')).toBe('2029-02-28T00:00:00.000Z');
    expect(at('2026-03-10T08:00:00Z', 'P1Y2M3DT4H')).toBe('2027-05-13T12:00:00.000Z');
    expect(parseDuration('P')).toBeUndefined();
    expect(parseDuration('P1.5M')).toBeUndefined();
  });
  it('elapsedTime lteq P1M ends on the same day of the next month', () => {
    const start = new Date('2026-01-31T00:00:00Z');
    const elapsed = { permission: [{ action: 'use', constraint: [{ leftOperand: 'odrl:elapsedTime', operator: 'lteq', rightOperand: 'P1M' }] }] };
    expect(decide(elapsed, { agreementStart: start, now: new Date('2026-02-28T00:00:00Z') }).permitted).toBe(true);
    expect(decide(elapsed, { agreementStart: start, now: new Date('2026-02-28T00:00:01Z') }).permitted).toBe(false);
  });
  it('a delete duty falls due on the calendar date', () => {
    const policy = { permission: [{ action: 'use', duty: [{ action: 'odrl:delete', constraint: [{ leftOperand: 'odrl:elapsedTime', operator: 'eq', rightOperand: 'P1Y' }] }] }] };
    expect(policyDuties(policy, new Date('2028-02-29T10:00:00Z'))).toEqual([{ action: 'delete', dueAt: '2029-02-28T10:00:00.000Z' }]);
  });
});

describe('elapsedTime eq D: the period the rule may be exercised in (ODRL 2.2 vocabulary: "a total elapsed time")', () => {
  const within = (operator: string, nowIso: string) =>
    decide(
      { permission: [{ action: 'use', constraint: [{ leftOperand: 'odrl:elapsedTime', operator, rightOperand: 'P30D' }] }] },
      { agreementStart: new Date('2026-11-01T00:00:00Z'), now: new Date(nowIso) },
    ).permitted;
  it('holds during the period, not only at its last millisecond', () => {
    expect(within('eq', '2026-11-05T00:00:00Z')).toBe(true);
    expect(within('eq', '2026-12-01T00:00:00Z')).toBe(true);
    expect(within('eq', '2026-12-01T00:00:00.001Z')).toBe(false);
    expect(within('lt', '2026-12-01T00:00:00Z')).toBe(false);
  });
});

describe('dateTime without a time zone is UTC, whatever the host zone', () => {
  const original = process.env.TZ;
  afterEach(() => {
    if (original === undefined) delete process.env.TZ;
    else process.env.TZ = original;
  });
  it('reads 2026-11-23T12:30:00 as 12:30 UTC in Tokyo and in Los Angeles', () => {
    for (const zone of ['Asia/Tokyo', 'America/Los_Angeles']) {
      process.env.TZ = zone;
      expect(parseDateTime('2026-11-23T12:30:00')).toBe(Date.parse('2026-11-23T12:30:00Z'));
      expect(decide({ permission: [{ action: 'use', constraint: [{ leftOperand: 'odrl:dateTime', operator: 'lt', rightOperand: '2026-11-23T12:30:00' }] }] }).permitted).toBe(true);
    }
  });
  it('an xsd:date right operand is the whole day (lteq includes it, eq holds all day)', () => {
    const onDate = (operator: string, rightOperand: unknown) =>
      decide({ permission: [{ action: 'use', constraint: [{ leftOperand: 'odrl:dateTime', operator, rightOperand }] }] }).permitted;
    expect([onDate('eq', '2026-11-23'), onDate('lteq', '2026-11-23'), onDate('lt', '2026-11-23'), onDate('gt', '2026-11-22'), onDate('gteq', '2026-11-24')]).toEqual([
      true,
      true,
      false,
      true,
      false,
    ]);
    expect(onDate('lt', { '@value': '2026-11-24', '@type': 'xsd:date' })).toBe(true);
  });
  it('an xsd:date is its first instant; a zone offset is honoured', () => {
    expect(parseDateTime('2027-01-01')).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(parseDateTime('2026-11-23T13:00:00+01:00')).toBe(Date.parse('2026-11-23T12:00:00Z'));
    expect(parseDateTime('23/11/2026')).toBeUndefined();
  });
});

describe("EDC's inForceDate (edc:inForceDate, Contract In Force Policy)", () => {
  const inForce = (operator: string, rightOperand: string, overrides: Partial<PolicyRequest> = {}) =>
    decide({ permission: [{ action: 'use', constraint: [{ leftOperand: 'edc:inForceDate', operator, rightOperand }] }] }, overrides);
  it('a fixed date', () => {
    expect(inForce('lteq', '2027-01-01T00:00:00Z').permitted).toBe(true);
    expect(inForce('gteq', '2027-01-01T00:00:00Z').permitted).toBe(false);
  });
  it('a duration after the agreement: contractAgreement+<n>(ms|s|m|h|d)', () => {
    const agreementStart = new Date('2026-11-01T00:00:00Z');
    expect(inForce('lteq', 'contractAgreement+30d', { agreementStart }).permitted).toBe(true);
    expect(inForce('lteq', 'contractAgreement+10d', { agreementStart }).permitted).toBe(false);
    expect(inForce('gteq', 'contractAgreement+0s', { agreementStart }).permitted).toBe(true);
    expect(inForce('lteq', 'contractAgreement+1y').reasons[0]).toMatch(/needs an xsd:dateTime or contractAgreement\+<n>d/);
  });
  it("as the full IRI and as the bare name EDC's context defines", () => {
    expect(
      decide({
        permission: [{ action: 'use', constraint: [{ leftOperand: 'https://w3id.org/edc/v0.0.1/ns/inForceDate', operator: 'lteq', rightOperand: '2027-01-01T00:00:00Z' }] }],
      }).permitted,
    ).toBe(true);
    expect(decide({ permission: [{ action: 'use', constraint: [{ leftOperand: 'inForceDate', operator: 'lteq', rightOperand: '2027-01-01T00:00:00Z' }] }] }).permitted).toBe(true);
  });
});

describe('conflict: perm, prohibit, invalid (the ODRL default)', () => {
  const both = (conflict?: string) => decide({ ...(conflict ? { conflict } : {}), permission: [{ action: 'use' }], prohibition: [{ action: 'use', constraint: [country('LU')] }] });
  it('perm: the permission wins', () => expect(both('perm').permitted).toBe(true));
  it('prohibit: the prohibition wins', () => expect(both('odrl:prohibit').reasons).toEqual(['odrl:use is prohibited under these conditions']));
  it('invalid or none: the policy is void', () => {
    expect(both('invalid').permitted).toBe(false);
    expect(both().reasons).toEqual([
      'odrl:use is prohibited under these conditions',
      'a permission and a prohibition both apply, so the policy is void (conflict: invalid, the ODRL default)',
    ]);
  });
  it('an unknown strategy is not understood', () => expect(both('winnerTakesAll').reasons).toEqual(['conflict strategy "winnerTakesAll" is not understood']));
  it('an inactive prohibition is no conflict', () =>
    expect(decide({ permission: [{ action: 'use' }], prohibition: [{ action: 'use', constraint: [country('FR')] }] }).permitted).toBe(true));
});

describe('andSequence is read as and (every constraint holds at the instant evaluated); the connector never publishes it', () => {
  it('holds when all hold', () => {
    expect(
      decide({ permission: [{ action: 'use', constraint: [{ andSequence: [country('LU'), { leftOperand: 'odrl:count', operator: 'lteq', rightOperand: 1 }] }] }] }).permitted,
    ).toBe(true);
    expect(decide({ permission: [{ action: 'use', constraint: [{ andSequence: [country('LU'), country('FR')] }] }] }).permitted).toBe(false);
  });
});

describe('duties', () => {
  it('a duty that has fallen due makes the permission inactive (it is not known to be fulfilled)', () => {
    const policy = {
      permission: [{ action: 'use', duty: [{ action: 'odrl:delete', constraint: [{ leftOperand: 'odrl:dateTime', operator: 'eq', rightOperand: '2026-11-01T00:00:00Z' }] }] }],
    };
    expect(decide(policy).reasons).toEqual(['the delete duty fell due at 2026-11-01T00:00:00.000Z']);
    expect(decide(policy, { now: new Date('2026-10-01T00:00:00Z') })).toMatchObject({ permitted: true, duties: [{ action: 'delete', dueAt: '2026-11-01T00:00:00.000Z' }] });
  });
  it('a duty constraint other than its due date is not understood', () => {
    expect(decide({ permission: [{ action: 'use', duty: [{ action: 'odrl:inform', constraint: [country('LU')] }] }] }).reasons[0]).toMatch(/^duty constraint .* is not understood/);
  });
  it('policy-level obligations of the consumer are duties too', () => {
    expect(
      decide(
        { permission: [{ action: 'use' }], obligation: [{ action: 'odrl:delete', constraint: [{ leftOperand: 'odrl:elapsedTime', operator: 'eq', rightOperand: 'P6M' }] }] },
        { agreementStart: new Date('2026-11-01T00:00:00Z') },
      ).duties,
    ).toEqual([{ action: 'delete', dueAt: '2027-05-01T00:00:00.000Z' }]);
  });
});

describe('provider obligations of the health release rules (hdc:applyConsent, hdc:deidentify, hdc:pseudonymise, hdc:shiftDates)', () => {
  const release = {
    permission: [{ action: 'use', constraint: [country('LU')] }],
    obligation: [
      {
        action: hdc('applyConsent'),
        constraint: [
          { leftOperand: hdc('consentModel'), operator: 'eq', rightOperand: 'mii-broad-consent' },
          { leftOperand: hdc('consentPolicyCode'), operator: 'isAllOf', rightOperand: ['2.16.840.1.113883.3.1937.777.24.5.3.8'] },
        ],
      },
      { action: hdc('deidentify'), constraint: [{ leftOperand: hdc('birthDatePrecision'), operator: 'eq', rightOperand: 'year' }] },
      { action: hdc('pseudonymise'), constraint: [{ leftOperand: hdc('pseudonymScope'), operator: 'eq', rightOperand: 'agreement' }] },
      { action: hdc('shiftDates'), constraint: [{ leftOperand: hdc('maxDateShiftDays'), operator: 'lteq', rightOperand: { '@value': '30', '@type': 'xsd:integer' } }] },
    ],
  };
  it('are known terms that never count against the consumer', () => {
    const decision = decide(release);
    expect(decision).toMatchObject({ permitted: true, reasons: [], duties: [] });
    expect(decision.providerObligations.map((o) => o.action)).toEqual(['applyConsent', 'deidentify', 'pseudonymise', 'shiftDates'].map(hdc));
  });
  it('carry their parameters by left operand IRI', () => {
    expect(policyProviderObligations(release)).toContainEqual({ action: hdc('shiftDates'), parameters: { [hdc('maxDateShiftDays')]: '30' } });
    expect(policyDuties(release, now)).toEqual([]);
  });
  it('the consumer is still refused when its own permission fails', () => {
    expect(decide(release, { credentials: [participant({ headquartersCountry: 'FR' })] }).permitted).toBe(false);
  });
  it('a parameter of another obligation, or a prefixed short form under no context, is not understood', () => {
    expect(
      decide({
        permission: [{ action: 'use' }],
        obligation: [{ action: hdc('deidentify'), constraint: [{ leftOperand: hdc('pseudonymScope'), operator: 'eq', rightOperand: 'agreement' }] }],
      }).reasons[0],
    ).toMatch(/of the obligation hdc:deidentify is not understood/);
    expect(decide({ permission: [{ action: 'use' }], obligation: [{ action: 'shiftDates' }] }).reasons).toEqual(['obligation action "shiftDates" is not understood']);
  });
});
