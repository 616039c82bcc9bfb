import { beforeAll, describe, expect, it } from 'vitest';
import { counterSignAgreement, issueAgreementCredential, verifyAgreementCredential, type OdrlAgreement } from '../../contracts/credentials/agreement.ts';
import { loaderFor, makeParty, type Party } from '../support/parties.ts';

describe('doubly-signed contract agreements', () => {
  let hospital: Party, institute: Party, stranger: Party;
  let agreement: OdrlAgreement;
  beforeAll(async () => {
    [hospital, institute, stranger] = await Promise.all([makeParty('hospital'), makeParty('institute'), makeParty('stranger')]);
    agreement = {
      '@id': 'urn:uuid:agreement-1',
      '@type': 'Agreement',
      target: 'urn:uuid:dataset-diabetes',
      assigner: hospital.did,
      assignee: institute.did,
      timestamp: '2026-11-23T10:00:00Z',
      permission: [{ action: 'use', constraint: [{ leftOperand: 'purpose', operator: 'eq', rightOperand: 'scientific-research' }] }],
    };
  });

  it('is issued by the provider, counter-signed by the consumer, and verifiable offline from the two DIDs', async () => {
    const loader = loaderFor(hospital, institute);
    const issued = await issueAgreementCredential(agreement, hospital.signer, loader);
    const signed = await counterSignAgreement(issued, institute.signer, loader, { agreementId: agreement['@id'], provider: hospital.did });
    expect(signed.proof).toHaveLength(2);
    const check = await verifyAgreementCredential(JSON.parse(JSON.stringify(signed)), loaderFor(hospital, institute));
    expect(check).toMatchObject({ verified: true, provider: hospital.did, consumer: institute.did, target: agreement.target, agreementId: agreement['@id'] });
  });

  it('is refused when only the provider signed', async () => {
    const loader = loaderFor(hospital, institute);
    const issued = await issueAgreementCredential(agreement, hospital.signer, loader);
    expect(await verifyAgreementCredential(issued, loader)).toMatchObject({ verified: false, reason: expect.stringMatching(/counter-signature/) });
  });

  it('is refused when its terms were changed after signing', async () => {
    const loader = loaderFor(hospital, institute);
    const signed = await counterSignAgreement(await issueAgreementCredential(agreement, hospital.signer, loader), institute.signer, loader, {
      agreementId: agreement['@id'],
      provider: hospital.did,
    });
    const tampered = structuredClone(signed) as any;
    tampered.credentialSubject.agreement.permission[0].constraint[0].rightOperand = 'commercial';
    expect(await verifyAgreementCredential(tampered, loader)).toMatchObject({ verified: false, reason: expect.stringMatching(/provider signature/) });
  });

  it('cannot be counter-signed by someone other than the assignee, nor for another agreement', async () => {
    const loader = loaderFor(hospital, institute, stranger);
    const issued = await issueAgreementCredential(agreement, hospital.signer, loader);
    await expect(counterSignAgreement(issued, stranger.signer, loader, { agreementId: agreement['@id'], provider: hospital.did })).rejects.toThrow(
      /is for did:web:institute.example/,
    );
    await expect(counterSignAgreement(issued, institute.signer, loader, { agreementId: 'urn:uuid:other', provider: hospital.did })).rejects.toThrow(
      /not the agreement being negotiated/,
    );
  });

  it('refuses a provider that is not the assigner', async () => {
    await expect(issueAgreementCredential(agreement, stranger.signer, loaderFor(stranger))).rejects.toThrow(/not the agreement's assigner/);
  });
});
