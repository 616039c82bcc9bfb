import { describe, expect, it } from 'vitest';
import { miiCode } from '../../../health/mii-consent.ts';
import {
  parseReleaseRules,
  RECOMMENDED_RELEASE_RULES,
  releaseObligations,
  ReleaseRefused,
  ReleaseRulesError,
  rulesForRelease,
  withReleaseObligations,
  type ReleaseRules,
} from '../../../health/release-rules.ts';
import { dspSchemaErrors } from '../../support/dsp-schemas.ts';

const HDC = 'https://w3id.org/health-dataspace-connector/ns#';
const permission = [{ action: 'use' }];
const offerWith = (rules: ReleaseRules) => withReleaseObligations({ '@type': 'Offer', '@id': 'urn:uuid:offer-1', permission }, rules);
const problemsOf = (policy: unknown) => {
  try {
    parseReleaseRules(policy);
    return [];
  } catch (error) {
    if (error instanceof ReleaseRulesError) return error.reasons;
    throw error;
  }
};

describe('release rules as ODRL obligations (hdc namespace, full IRIs)', () => {
  it('writes the four actions with exactly their constraints, every term a full IRI', () => {
    expect(releaseObligations({ ...RECOMMENDED_RELEASE_RULES, consent: { model: 'mii-broad-consent', policyCodes: [miiCode(8), miiCode(6)] } })).toEqual([
      {
        action: `${HDC}applyConsent`,
        constraint: [
          { leftOperand: `${HDC}consentModel`, operator: 'eq', rightOperand: { '@id': `${HDC}MiiBroadConsent` } },
          { leftOperand: `${HDC}consentPolicyCode`, operator: 'isAllOf', rightOperand: [{ '@id': `urn:oid:${miiCode(6)}` }, { '@id': `urn:oid:${miiCode(8)}` }] },
        ],
      },
      { action: `${HDC}deidentify`, constraint: [{ leftOperand: `${HDC}birthDatePrecision`, operator: 'eq', rightOperand: 'year' }] },
      { action: `${HDC}pseudonymise`, constraint: [{ leftOperand: `${HDC}pseudonymScope`, operator: 'eq', rightOperand: 'agreement' }] },
      {
        action: `${HDC}shiftDates`,
        constraint: [{ leftOperand: `${HDC}maxDateShiftDays`, operator: 'lteq', rightOperand: { '@value': 30, '@type': 'http://www.w3.org/2001/XMLSchema#integer' } }],
      },
    ]);
    expect(JSON.stringify(releaseObligations(RECOMMENDED_RELEASE_RULES))).not.toMatch(/"hdc:/);
  });

  it('the EHDS opt-out model has no policy codes; no date shift means no hdc:shiftDates', () => {
    const duties = releaseObligations({ consent: { model: 'ehds-opt-out' }, birthDatePrecision: 'none', pseudonymScope: 'agreement', maxDateShiftDays: 0 });
    expect(duties.map((d) => d.action)).toEqual([`${HDC}applyConsent`, `${HDC}deidentify`, `${HDC}pseudonymise`]);
    expect(duties[0]!.constraint).toEqual([{ leftOperand: `${HDC}consentModel`, operator: 'eq', rightOperand: { '@id': `${HDC}EhdsOptOut` } }]);
  });

  it('an Offer and an Agreement carrying them as policy-level obligation are valid DSP 2025-1 messages', () => {
    const offer = offerWith(RECOMMENDED_RELEASE_RULES);
    const request = {
      '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'],
      '@type': 'ContractRequestMessage',
      consumerPid: 'urn:uuid:c',
      offer: { ...offer, target: 'urn:uuid:dataset' },
      callbackAddress: 'https://institute.example/dsp',
    };
    expect(dspSchemaErrors('negotiation/contract-request-message-schema.json', request)).toEqual([]);
    const agreement = {
      '@id': 'urn:uuid:agreement',
      '@type': 'Agreement',
      target: 'urn:uuid:dataset',
      assigner: 'did:web:hospital',
      assignee: 'did:web:institute',
      timestamp: '2026-12-01T10:00:00Z',
      permission,
      obligation: offer.obligation,
    };
    const message = {
      '@context': ['https://w3id.org/dspace/2025/1/context.jsonld'],
      '@type': 'ContractAgreementMessage',
      providerPid: 'urn:uuid:p',
      consumerPid: 'urn:uuid:c',
      agreement,
    };
    expect(dspSchemaErrors('negotiation/contract-agreement-message-schema.json', message)).toEqual([]);
  });

  it('reads back exactly the rules it wrote, from an offer or an agreement', () => {
    const rules: ReleaseRules[] = [
      RECOMMENDED_RELEASE_RULES,
      {
        consent: { model: 'mii-broad-consent', policyCodes: [miiCode(6), miiCode(8), miiCode(45), miiCode(46)] },
        birthDatePrecision: 'year-month',
        pseudonymScope: 'agreement',
        maxDateShiftDays: 0,
      },
      { consent: { model: 'ehds-opt-out' }, birthDatePrecision: 'none', pseudonymScope: 'agreement', maxDateShiftDays: 180 },
    ];
    for (const r of rules) expect(parseReleaseRules(offerWith(r))).toEqual({ kind: 'rules', rules: r });
  });

  it('keeps obligations of other vocabularies and replaces earlier release rules', () => {
    const other = { action: 'http://www.w3.org/ns/odrl/2/delete' };
    const offer = withReleaseObligations(
      { ...offerWith(RECOMMENDED_RELEASE_RULES), obligation: [other, ...offerWith(RECOMMENDED_RELEASE_RULES).obligation] },
      { ...RECOMMENDED_RELEASE_RULES, birthDatePrecision: 'none' },
    );
    expect(offer.obligation[0]).toEqual(other);
    expect(offer.obligation).toHaveLength(5);
    expect(parseReleaseRules(offer)).toMatchObject({ rules: { birthDatePrecision: 'none' } });
  });

  it('accepts an integer as a plain number or digits, as JSON-LD literals come', () => {
    const offer = offerWith(RECOMMENDED_RELEASE_RULES);
    (offer.obligation[3] as any).constraint[0].rightOperand = '14';
    expect(parseReleaseRules(offer)).toMatchObject({ rules: { maxDateShiftDays: 14 } });
  });
});

describe('parsing is strict: anything of ours it does not know is refused with the reason', () => {
  const base = () => offerWith(RECOMMENDED_RELEASE_RULES) as { obligation: any[] };

  it('an unknown hdc action or left operand', () => {
    expect(problemsOf({ ...base(), obligation: [...base().obligation, { action: `${HDC}anonymise` }] })).toEqual([`unknown action ${HDC}anonymise`]);
    const offer = base();
    offer.obligation[1].constraint[0].leftOperand = `${HDC}birthDateAccuracy`;
    expect(problemsOf(offer)).toEqual([`${HDC}deidentify: unknown left operand ${HDC}birthDateAccuracy`]);
  });

  it('compact IRIs (hdc:…) and bare names, which the DSP context does not expand to our namespace', () => {
    const offer = base();
    offer.obligation[0].action = 'hdc:applyConsent';
    expect(problemsOf(offer)).toEqual([`write the action hdc:applyConsent as a full IRI (${HDC}…)`, `release rules need the obligation ${HDC}applyConsent`]);
    const bare = base();
    bare.obligation[2].constraint[0].leftOperand = 'pseudonymScope';
    expect(problemsOf(bare)[0]).toMatch(/write the left operand pseudonymScope as a full IRI/);
  });

  it('unknown values: consent model, birth date precision, pseudonym scope, codes outside the MII system, .6 or .8 missing', () => {
    const model = base();
    model.obligation[0].constraint[0].rightOperand = { '@id': `${HDC}PresumedConsent` };
    expect(problemsOf(model)[0]).toMatch(/consentModel must be .*MiiBroadConsent or .*EhdsOptOut, not .*PresumedConsent/);
    const precision = base();
    precision.obligation[1].constraint[0].rightOperand = 'day';
    expect(problemsOf(precision)).toEqual(['birthDatePrecision must be one of year, year-month, none']);
    const scope = base();
    scope.obligation[2].constraint[0].rightOperand = 'dataset';
    expect(problemsOf(scope)).toEqual(['pseudonymScope must be "agreement"']);
    const codes = base();
    codes.obligation[0].constraint[1].rightOperand = [{ '@id': `urn:oid:${miiCode(8)}` }, { '@id': 'urn:oid:1.2.3' }];
    expect(problemsOf(codes)).toEqual(['consent policy code "1.2.3" is not an MII consent code', `the MII broad consent rule needs policy code ${miiCode(6)}`]);
  });

  it('wrong operators, duplicates, missing required obligations, and rules placed inside a permission', () => {
    const operator = base();
    operator.obligation[3].constraint[0].operator = 'gteq';
    expect(problemsOf(operator)).toContain(`${HDC}shiftDates: ${HDC}maxDateShiftDays needs operator lteq`);
    expect(problemsOf({ ...base(), obligation: [...base().obligation, base().obligation[1]] })).toEqual([`${HDC}deidentify appears twice`]);
    expect(problemsOf({ ...base(), obligation: base().obligation.slice(1) })).toEqual([`release rules need the obligation ${HDC}applyConsent`]);
    const misplaced = { '@type': 'Offer', permission: [{ action: 'use', duty: [base().obligation[1]] }] };
    expect(problemsOf(misplaced)[0]).toBe(`${HDC}deidentify must be a policy-level obligation, not a duty of a permission`);
  });
});

describe('an agreement that names no release rules', () => {
  it('parses as none; a release of patient-level data under it is refused (EHDS Art. 66: anonymised by default)', () => {
    const agreement = { '@type': 'Agreement', permission, obligation: [{ action: 'http://www.w3.org/ns/odrl/2/delete' }] };
    expect(parseReleaseRules(agreement)).toEqual({ kind: 'none' });
    expect(() => rulesForRelease(agreement)).toThrow(ReleaseRefused);
    expect(rulesForRelease(offerWith(RECOMMENDED_RELEASE_RULES))).toEqual(RECOMMENDED_RELEASE_RULES);
  });
});
