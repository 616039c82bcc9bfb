import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type PolicyRequest } from '../../contracts/policy/evaluate.ts';
import { requiredCredentialTypes } from '../../contracts/policy/engine.ts';
import { permitBoundResearchOffer } from '../../contracts/policy/templates.ts';
import { NS } from '../../vocab/namespaces.ts';
import type { VerifiedCredential } from '../../contracts/credentials/model.ts';

const consumer = 'did:web:institute.example';
const authority = 'did:web:authority.example';
const now = new Date('2026-11-23T12:00:00Z');

const participant = (claims: Record<string, unknown> = {}): VerifiedCredential => ({
  type: ['VerifiableCredential', 'ParticipantCredential'],
  issuer: authority,
  credentialSubject: {
    id: consumer,
    legalName: 'Institute',
    headquartersCountry: 'LU',
    dataspaceRole: 'research-institute',
    membershipStatus: 'active',
    organizationType: 'research',
    dataProtectionRole: 'controller',
    ...claims,
  },
});
const permit = (claims: Record<string, unknown> = {}, validUntil = '2027-11-23T00:00:00Z'): VerifiedCredential => ({
  type: ['VerifiableCredential', 'DataPermitCredential'],
  issuer: authority,
  validFrom: '2026-01-01T00:00:00Z',
  validUntil,
  credentialSubject: { id: consumer, permitId: 'p1', projectId: 'x', purposes: ['scientific-research'], healthCategories: ['diabetes'], permitIssued: true, ...claims },
});

const request = (overrides: Partial<PolicyRequest> = {}): PolicyRequest => ({
  credentials: [participant(), permit()],
  consumerDid: consumer,
  datasetId: 'urn:uuid:dataset-1',
  healthCategories: ['diabetes'],
  now,
  transferCount: 0,
  ...overrides,
});

const hdc = (name: string) => `${NS.hdc}${name}`;
const single = (constraint: object, action = 'use') => ({ '@type': 'Offer', '@id': 'o1', permission: [{ action, constraint: [constraint] }] });
const decide = (constraint: object, overrides: Partial<PolicyRequest> = {}) => evaluatePolicy(single(constraint), request(overrides));

describe('the diabetes research offer', () => {
  const offer = permitBoundResearchOffer({ id: 'offer-1', purposes: ['scientific-research'], months: 12 });

  it('permits a research institute with a valid permit covering the dataset and purpose, with a delete duty in 12 months', () => {
    const decision = evaluatePolicy(offer, request());
    expect(decision).toMatchObject({ permitted: true, reasons: [] });
    expect(decision.duties).toEqual([{ action: 'delete', dueAt: '2027-11-23T12:00:00.000Z' }]);
  });

  it('refuses without a data permit, with a reason per failed constraint', () => {
    const decision = evaluatePolicy(offer, request({ credentials: [participant()] }));
    expect(decision.permitted).toBe(false);
    expect(decision.reasons).toEqual(['a valid data permit for this dataset is required; the consumer has none', 'purpose must be isAnyOf ["scientific-research"]; found none']);
  });

  it('refuses a permit for another purpose or another category, or an expired permit', () => {
    expect(evaluatePolicy(offer, request({ credentials: [participant(), permit({ purposes: ['education'] })] })).reasons).toEqual([
      'purpose must be isAnyOf ["scientific-research"]; found [education]',
    ]);
    expect(evaluatePolicy(offer, request({ credentials: [participant(), permit({ healthCategories: ['oncology'] })] })).permitted).toBe(false);
    expect(evaluatePolicy(offer, request({ credentials: [participant(), permit({}, '2026-06-01T00:00:00Z')] })).permitted).toBe(false);
  });

  it('a permit naming the health category by the IRI used before the EU vocabulary still covers the dataset', () => {
    const eu = 'http://publications.europa.eu/resource/authority/health-category/EHRS';
    const legacy = permit({ healthCategories: ['http://healthdataportal.eu/ns/health-category#EHR'] });
    expect(evaluatePolicy(offer, request({ credentials: [participant(), legacy], healthCategories: [eu] })).permitted).toBe(true);
    expect(evaluatePolicy(offer, request({ credentials: [participant(), permit({ healthCategories: [eu] })], healthCategories: [eu] })).permitted).toBe(true);
  });

  it('accepts a permit naming the dataset itself', () => {
    expect(evaluatePolicy(offer, request({ credentials: [participant(), permit({ healthCategories: undefined, datasets: ['urn:uuid:dataset-1'] })] })).permitted).toBe(true);
  });

  it('refuses a hospital, and a suspended member', () => {
    expect(evaluatePolicy(offer, request({ credentials: [participant({ dataspaceRole: 'hospital' }), permit()] })).reasons).toEqual([
      'hdc:dataspaceRole must be eq "research-institute"; found hospital',
    ]);
    expect(evaluatePolicy(offer, request({ credentials: [participant({ membershipStatus: 'suspended' }), permit()] })).permitted).toBe(false);
  });

  it('ends 12 months after the agreement', () => {
    const start = new Date('2025-10-01T00:00:00Z');
    expect(evaluatePolicy(offer, request({ agreementStart: start, credentials: [participant(), permit({}, '2030-01-01T00:00:00Z')] })).reasons).toEqual([
      'the time since the agreement must be lteq "P12M"; found 418 days',
    ]);
  });

  it('asks the holder for exactly the credentials it reads', () => {
    expect(requiredCredentialTypes(offer).sort()).toEqual(['DataPermitCredential', 'ParticipantCredential']);
    expect(requiredCredentialTypes(single({ leftOperand: 'dateTime', operator: 'lt', rightOperand: '2030-01-01T00:00:00Z' }))).toEqual([]);
    expect(requiredCredentialTypes(single({ leftOperand: hdc('credentialType'), operator: 'isAllOf', rightOperand: ['EthicsApproval'] }))).toEqual(['EthicsApproval']);
  });
});

describe('left operands', () => {
  it('dateTime', () => {
    expect(decide({ leftOperand: 'dateTime', operator: 'lt', rightOperand: '2027-01-01T00:00:00Z' }).permitted).toBe(true);
    expect(decide({ leftOperand: 'dateTime', operator: 'gteq', rightOperand: '2027-01-01T00:00:00Z' }).permitted).toBe(false);
    expect(decide({ leftOperand: 'dateTime', operator: 'lt', rightOperand: 'tomorrow' }).reasons[0]).toMatch(/needs an xsd:dateTime/);
  });
  it('count: the transfer being asked for included', () => {
    expect(decide({ leftOperand: 'count', operator: 'lteq', rightOperand: 3 }, { transferCount: 2 }).permitted).toBe(true);
    expect(decide({ leftOperand: 'count', operator: 'lteq', rightOperand: 3 }, { transferCount: 3 }).reasons).toEqual(['the number of transfers must be lteq 3; found 4']);
  });
  it('spatial and jurisdictionCountry, with EU and EEA as regions', () => {
    expect(decide({ leftOperand: 'spatial', operator: 'eq', rightOperand: 'LU' }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('jurisdictionCountry'), operator: 'isPartOf', rightOperand: 'EU' }).permitted).toBe(true);
    expect(decide({ leftOperand: 'spatial', operator: 'isPartOf', rightOperand: 'EU' }, { credentials: [participant({ headquartersCountry: 'CH' })] }).permitted).toBe(false);
    expect(decide({ leftOperand: 'spatial', operator: 'isNoneOf', rightOperand: ['US', 'CN'] }).permitted).toBe(true);
    expect(decide({ leftOperand: 'spatial', operator: 'eq', rightOperand: 'LU' }, { credentials: [] }).reasons).toEqual([
      'the consumer presented no participant credential stating its country',
    ]);
  });
  it('euEeaStatus', () => {
    expect(decide({ leftOperand: hdc('euEeaStatus'), operator: 'eq', rightOperand: true }, { credentials: [participant({ headquartersCountry: 'NO' })] }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('euEeaStatus'), operator: 'eq', rightOperand: 'true' }, { credentials: [participant({ headquartersCountry: 'US' })] }).permitted).toBe(false);
  });
  it('participant role, membershipStatus, organizationType, dataProtectionRole', () => {
    expect(decide({ leftOperand: hdc('dataspaceRole'), operator: 'isAnyOf', rightOperand: ['research-institute', 'hospital'] }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('membershipStatus'), operator: 'eq', rightOperand: 'active' }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('organizationType'), operator: 'neq', rightOperand: 'commercial' }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('dataProtectionRole'), operator: 'eq', rightOperand: 'processor' }).permitted).toBe(false);
  });
  it('credentialType and issuer', () => {
    expect(decide({ leftOperand: hdc('credentialType'), operator: 'isAllOf', rightOperand: ['ParticipantCredential', 'DataPermitCredential'] }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('credentialType'), operator: 'isAllOf', rightOperand: ['EthicsApproval'] }).permitted).toBe(false);
    expect(decide({ leftOperand: hdc('credentialIssuer'), operator: 'eq', rightOperand: authority }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('credentialIssuer'), operator: 'eq', rightOperand: 'did:web:other.example' }).permitted).toBe(false);
  });
  it('dataPermit reads the data permit', () => {
    expect(decide({ leftOperand: hdc('dataPermit'), operator: 'eq', rightOperand: true }).permitted).toBe(true);
    expect(decide({ leftOperand: hdc('dataPermit'), operator: 'eq', rightOperand: 'true' }, { credentials: [participant()] }).reasons).toEqual([
      'a valid data permit for this dataset is required; the consumer has none',
    ]);
  });
  it('purpose declared by the consumer, as a short name or an IRI', () => {
    expect(
      decide(
        { leftOperand: 'purpose', operator: 'eq', rightOperand: 'https://w3id.org/health-dataspace-connector/ns#purpose/scientific-research' },
        { purpose: 'scientific-research' },
      ).permitted,
    ).toBe(true);
    expect(decide({ leftOperand: 'purpose', operator: 'eq', rightOperand: 'scientific-research' }, { purpose: 'marketing' }).reasons).toEqual([
      'purpose must be eq "scientific-research"; found [marketing]',
    ]);
  });
  it('accepts odrl: prefixes, full IRIs and @id objects', () => {
    expect(decide({ leftOperand: 'odrl:spatial', operator: 'odrl:eq', rightOperand: 'LU' }).permitted).toBe(true);
    expect(
      decide({ leftOperand: { '@id': 'http://www.w3.org/ns/odrl/2/spatial' }, operator: { '@id': 'http://www.w3.org/ns/odrl/2/eq' }, rightOperand: { '@value': 'LU' } }).permitted,
    ).toBe(true);
  });
});

describe('operators', () => {
  const roles = (operator: string, rightOperand: unknown) => decide({ leftOperand: hdc('credentialType'), operator, rightOperand }).permitted;
  it('eq, neq, isAnyOf, isAllOf, isNoneOf, isPartOf, hasPart on sets', () => {
    expect(roles('eq', 'ParticipantCredential')).toBe(true);
    expect(roles('neq', 'ParticipantCredential')).toBe(false);
    expect(roles('isAnyOf', ['X', 'DataPermitCredential'])).toBe(true);
    expect(roles('isAllOf', ['ParticipantCredential', 'X'])).toBe(false);
    expect(roles('isNoneOf', ['X', 'Y'])).toBe(true);
    expect(roles('isPartOf', ['ParticipantCredential', 'DataPermitCredential', 'X'])).toBe(true);
    expect(roles('hasPart', ['ParticipantCredential'])).toBe(true);
    expect(roles('hasPart', ['ParticipantCredential', 'X'])).toBe(false);
  });
  it('lt, lteq, gt, gteq on numbers', () => {
    const count = (operator: string, right: number) => decide({ leftOperand: 'count', operator, rightOperand: right }).permitted;
    expect([count('lt', 2), count('lt', 1), count('lteq', 1), count('gt', 0), count('gt', 1), count('gteq', 1)]).toEqual([true, false, true, true, false, true]);
  });
  it('an ordering operator on text is refused with its reason', () => {
    expect(decide({ leftOperand: 'spatial', operator: 'lt', rightOperand: 'LU' }).reasons).toEqual(['odrl:spatial lt: operator lt does not apply to text']);
  });
});

describe('logical constraints', () => {
  const lu = { leftOperand: 'spatial', operator: 'eq', rightOperand: 'LU' };
  const fr = { leftOperand: 'spatial', operator: 'eq', rightOperand: 'FR' };
  it('and, or, xone', () => {
    expect(decide({ and: [lu, fr] }).permitted).toBe(false);
    expect(decide({ or: [lu, fr] }).permitted).toBe(true);
    expect(decide({ or: [fr, fr] }).reasons[0]).toMatch(/^none of these holds/);
    expect(decide({ xone: [lu, fr] }).permitted).toBe(true);
    expect(decide({ xone: [lu, lu] }).reasons).toEqual(['exactly one must hold, 2 do']);
    expect(decide({ andSequence: [lu, lu] }).permitted).toBe(true);
  });
});

describe('what the engine does not understand refuses the request', () => {
  it('an unknown left operand, operator, action, duty or shape', () => {
    expect(decide({ leftOperand: 'partner', operator: 'eq', rightOperand: 'gold' }).reasons).toEqual(['left operand "partner" is not understood']);
    expect(decide({ leftOperand: 'dataspaceRole', operator: 'eq', rightOperand: 'hospital' }).reasons).toEqual(['left operand "dataspaceRole" is not understood']);
    expect(decide({ leftOperand: 'spatial', operator: 'isA', rightOperand: 'LU' }).reasons).toEqual(['operator "odrl:isA" is not understood']);
    expect(evaluatePolicy({ permission: [{ action: 'teleport' }] }, request()).reasons).toEqual(['permission action "teleport" is not understood']);
    expect(evaluatePolicy({ permission: [{ action: 'use', duty: [{ action: 'payFee' }] }] }, request()).reasons).toEqual(['duty action "payFee" is not understood']);
    expect(evaluatePolicy({ permission: [{ action: 'use', duty: [{ action: 'odrl:compensate' }] }] }, request()).reasons).toEqual([
      'duty action "odrl:compensate" is not understood',
    ]);
    expect(decide({ something: 'else' }).reasons).toEqual(['constraint {"something":"else"} has no leftOperand']);
  });
  it('even inside an "or" that another branch satisfies', () => {
    const decision = decide({
      or: [
        { leftOperand: 'spatial', operator: 'eq', rightOperand: 'LU' },
        { leftOperand: 'partner', operator: 'eq', rightOperand: 'gold' },
      ],
    });
    expect(decision).toMatchObject({ permitted: false, reasons: ['left operand "partner" is not understood'] });
  });
});

describe('prohibitions and rules', () => {
  it('an applicable prohibition refuses even when a permission holds', () => {
    const policy = { permission: [{ action: 'use' }], prohibition: [{ action: 'use', constraint: [{ leftOperand: 'spatial', operator: 'eq', rightOperand: 'LU' }] }] };
    expect(evaluatePolicy(policy, request())).toMatchObject({
      permitted: false,
      reasons: ['odrl:use is prohibited under these conditions', expect.stringMatching(/conflict: invalid/)],
    });
    expect(evaluatePolicy(policy, request({ credentials: [participant({ headquartersCountry: 'BE' })] })).permitted).toBe(true);
  });
  it('a policy with no permission for the action refuses', () => {
    expect(evaluatePolicy({ permission: [{ action: 'distribute' }] }, request()).reasons).toEqual(['the permission is for odrl:distribute, not odrl:use']);
  });
});
