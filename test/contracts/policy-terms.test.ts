import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type PolicyRequest } from '../../contracts/policy/evaluate.ts';
import { publicationProblems, sameTerms } from '../../contracts/policy/canonical.ts';
import { requiredCredentialTypes } from '../../contracts/policy/engine.ts';
import { permitBoundResearchOffer } from '../../contracts/policy/templates.ts';
import { termIri, wireTerm } from '../../contracts/policy/terms.ts';
import type { VerifiedCredential } from '../../contracts/credentials/model.ts';
import { NS } from '../../vocab/namespaces.ts';

/** Every term is an IRI: the forms the connector accepts (its own, EDC's, Tractus-X's, expanded JSON-LD) and writes. */

const consumer = 'did:web:institute.example';
const O = NS.odrl;
const participant: VerifiedCredential = {
  type: ['VerifiableCredential', 'ParticipantCredential'],
  issuer: 'did:web:authority.example',
  credentialSubject: { id: consumer, headquartersCountry: 'LU', dataspaceRole: 'research-institute', membershipStatus: 'active' },
};
const request: PolicyRequest = {
  credentials: [participant],
  consumerDid: consumer,
  datasetId: 'urn:uuid:d1',
  healthCategories: [],
  now: new Date('2026-11-23T12:00:00Z'),
  transferCount: 0,
};
const permitted = (policy: Record<string, unknown>) => evaluatePolicy(policy, request);

describe('a term is read into its IRI', () => {
  it('full IRI, odrl:/hdc:/edc: prefix, {"@id"}, the one-element array of expanded JSON-LD, a bare ODRL name', () => {
    for (const form of ['use', 'odrl:use', `${O}use`, { '@id': 'odrl:use' }, { '@id': `${O}use` }, [{ '@id': `${O}use` }]]) expect(termIri(form)).toBe(`${O}use`);
    expect(termIri('hdc:dataPermit')).toBe(`${NS.hdc}dataPermit`);
    expect(termIri('edc:inForceDate')).toBe('https://w3id.org/edc/v0.0.1/ns/inForceDate');
  });
  it('a bare name of no vocabulary denotes nothing: under the DSP context it is a document-relative IRI', () => {
    expect(termIri('dataPermit')).toBeUndefined();
    expect(termIri('purpose')).toBe(`${O}purpose`);
  });
  it('is written back so that the DSP context alone expands it', () => {
    expect([wireTerm(`${O}use`), wireTerm(`${O}eq`), wireTerm(`${O}purpose`), wireTerm(`${O}delete`), wireTerm(`${NS.hdc}dataPermit`)]).toEqual([
      'use',
      'eq',
      'odrl:purpose',
      'odrl:delete',
      `${NS.hdc}dataPermit`,
    ]);
  });
});

describe('policies as EDC and Tractus-X send them', () => {
  it('odrl: prefixes everywhere, {"@id"} values, a constraint object with odrl:and', () => {
    const policy = {
      '@type': 'odrl:Offer',
      'odrl:permission': [
        {
          'odrl:action': { '@id': 'odrl:use' },
          'odrl:constraint': {
            'odrl:and': [
              { 'odrl:leftOperand': { '@id': 'odrl:spatial' }, 'odrl:operator': { '@id': 'odrl:eq' }, 'odrl:rightOperand': 'LU' },
              { 'odrl:leftOperand': { '@id': `${NS.hdc}dataspaceRole` }, 'odrl:operator': { '@id': 'odrl:isAnyOf' }, 'odrl:rightOperand': ['research-institute', 'hospital'] },
            ],
          },
        },
      ],
    };
    expect(permitted(policy)).toMatchObject({ permitted: true, reasons: [] });
  });
  it('compact EDC form: action "odrl:use", constraint with or, operator "odrl:eq", inForceDate', () => {
    const policy = {
      permission: [
        {
          action: 'odrl:use',
          constraint: [
            {
              or: [
                { leftOperand: 'odrl:spatial', operator: 'odrl:eq', rightOperand: 'FR' },
                { leftOperand: 'edc:inForceDate', operator: 'odrl:lteq', rightOperand: 'contractAgreement+365d' },
              ],
            },
          ],
        },
      ],
    };
    expect(permitted(policy).permitted).toBe(true);
  });
  it('expanded JSON-LD: every value an array, @list for logical constraints, @value literals', () => {
    const policy = {
      '@type': [`${O}Offer`],
      [`${O}permission`]: [
        {
          [`${O}action`]: [{ '@id': `${O}use` }],
          [`${O}constraint`]: [
            {
              [`${O}xone`]: {
                '@list': [
                  { [`${O}leftOperand`]: [{ '@id': `${O}spatial` }], [`${O}operator`]: [{ '@id': `${O}eq` }], [`${O}rightOperand`]: [{ '@value': 'LU' }] },
                  { [`${O}leftOperand`]: [{ '@id': `${O}count` }], [`${O}operator`]: [{ '@id': `${O}gt` }], [`${O}rightOperand`]: [{ '@value': 5 }] },
                ],
              },
            },
          ],
        },
      ],
    };
    expect(permitted(policy)).toMatchObject({ permitted: true, reasons: [] });
  });
  it('the credentials a policy needs are found in every form', () => {
    const expanded = {
      [`${O}permission`]: [
        {
          [`${O}action`]: [{ '@id': `${O}use` }],
          [`${O}constraint`]: [{ [`${O}leftOperand`]: [{ '@id': `${NS.hdc}dataPermit` }], [`${O}operator`]: [{ '@id': `${O}eq` }], [`${O}rightOperand`]: [{ '@value': 'true' }] }],
        },
      ],
    };
    expect(requiredCredentialTypes(expanded)).toEqual(['DataPermitCredential']);
    expect(requiredCredentialTypes({ permission: [{ action: 'use', constraint: [{ leftOperand: { '@id': 'odrl:spatial' }, operator: 'eq', rightOperand: 'LU' }] }] })).toEqual([
      'ParticipantCredential',
    ]);
    expect(requiredCredentialTypes({ permission: [{ action: 'use', constraint: [{ leftOperand: 'dataPermit', operator: 'eq', rightOperand: 'true' }] }] })).toEqual([]);
  });
  it('action ["use"] and ["odrl:use"]', () => {
    expect(permitted({ permission: [{ action: ['use'] }] }).permitted).toBe(true);
    expect(permitted({ permission: [{ action: ['odrl:use'] }] }).permitted).toBe(true);
  });
});

describe('the same terms however they are compacted', () => {
  const ours = permitBoundResearchOffer({ id: 'urn:uuid:o1', purposes: ['scientific-research'], months: 12, target: 'urn:uuid:d1' });
  const permission = ours.permission![0] as any;
  it('our offer equals its re-compaction by another connector', () => {
    const theirs = {
      '@type': 'Offer',
      'odrl:permission': {
        'odrl:action': { '@id': 'odrl:use' },
        'odrl:constraint': permission.constraint.map((c: any) => ({
          'odrl:leftOperand': { '@id': termIri(c.leftOperand) },
          'odrl:operator': { '@id': `odrl:${c.operator}` },
          'odrl:rightOperand': Array.isArray(c.rightOperand) ? c.rightOperand : { '@value': c.rightOperand },
        })),
      },
      [`${O}obligation`]: [{ action: { '@id': `${O}delete` }, constraint: { leftOperand: 'odrl:elapsedTime', operator: 'eq', rightOperand: 'P12M' } }],
    };
    expect(sameTerms(ours, theirs)).toBe(true);
  });
  it('but not when a term or a value differs', () => {
    expect(sameTerms(ours, { ...ours, permission: [{ ...permission, action: 'odrl:read' }] })).toBe(false);
    expect(sameTerms(ours, { ...ours, permission: [{ ...permission, constraint: permission.constraint.slice(1) }] })).toBe(false);
    expect(sameTerms(ours, { ...ours, obligation: [{ action: 'odrl:delete' }] })).toBe(false);
  });
});

describe('what an offer must be to be published', () => {
  it('our template passes', () => {
    expect(publicationProblems(permitBoundResearchOffer({ id: 'urn:uuid:o1', purposes: ['scientific-research'], months: 12 }))).toEqual([]);
  });
  it('bare or prefixed forms the DSP context does not expand, objects and arrays where the DSP schema wants strings', () => {
    expect(publicationProblems({ permission: [{ action: 'use', constraint: [{ leftOperand: 'count', operator: 'lteq', rightOperand: '3' }] }] })).toEqual([
      'leftOperand "count" must be written "odrl:count" to expand to its IRI under the DSP context',
    ]);
    expect(publicationProblems({ permission: [{ action: 'use', constraint: [{ leftOperand: 'hdc:dataPermit', operator: 'odrl:eq', rightOperand: 'true' }] }] })).toEqual([
      `leftOperand "hdc:dataPermit" must be written "${NS.hdc}dataPermit" to expand to its IRI under the DSP context`,
      'operator "odrl:eq" must be written "eq" to expand to its IRI under the DSP context',
    ]);
    expect(publicationProblems({ permission: [{ action: ['use'] }] })).toEqual(['action ["use"] must be a string (DSP schema), "use"']);
  });
  it('one permission per offer, no andSequence, no unknown action', () => {
    expect(publicationProblems({ permission: [{ action: 'use' }, { action: 'odrl:read' }] })).toEqual([
      'an offer has at most one permission: publish alternative terms as separate offers',
    ]);
    expect(publicationProblems({ permission: [{ action: 'use', constraint: [{ andSequence: [{ leftOperand: 'odrl:count', operator: 'lteq', rightOperand: '1' }] }] }] })).toEqual([
      'andSequence is not published (EDC cannot read it); use and',
    ]);
    expect(publicationProblems({ permission: [{ action: 'odrl:teleport' }] })).toEqual(['permission action "odrl:teleport" is not understood']);
  });
});
