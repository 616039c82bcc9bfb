import * as vc from '@digitalbazaar/vc';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDidResolver } from '../../../connector/identity/did-resolver.ts';
import { generateDidKey } from '../../../connector/identity/did-key.ts';
import {
  createProofSigner,
  CredentialDataModelError,
  issueCredential,
  JsonLdError,
  signPresentation,
  verifyCredentialProof,
  type ProofSigner,
} from '../../../contracts/credentials/proofs.ts';
import { createCredentialVerifier } from '../../../contracts/credentials/verifier.ts';
import type { VerifiableCredential } from '../../../contracts/credentials/model.ts';
import { createDocumentLoader } from '../../../vocab/document-loader.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../../vocab/multikey.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2';
// did:key resolves without any network, so this loader needs none (the unit guard would refuse it).
const resolver = createDidResolver();
const documentLoader = createDocumentLoader({ dids: (url) => resolver.dereference(url) });

let issuer: ProofSigner;
const unsigned = (): VerifiableCredential => ({
  '@context': [V2, EXAMPLES],
  type: ['VerifiableCredential', 'AlumniCredential'],
  issuer: issuer.controller,
  validFrom: '2026-01-01T00:00:00Z',
  credentialSubject: { id: 'did:example:alice', alumniOf: 'Université du Luxembourg' },
});

beforeAll(async () => {
  issuer = await createProofSigner(generateDidKey());
});

describe('Data Integrity EdDSA cryptosuites v1.0: sign and verify round trips', () => {
  for (const cryptosuite of ['eddsa-rdfc-2022', 'eddsa-jcs-2022'] as const) {
    describe(cryptosuite, () => {
      it('adds a DataIntegrityProof with this cryptosuite and the assertionMethod purpose, which verifies', async () => {
        const signed = await issueCredential(unsigned(), issuer, documentLoader, { cryptosuite });
        expect(signed.proof).toMatchObject({
          type: 'DataIntegrityProof',
          cryptosuite,
          proofPurpose: 'assertionMethod',
          verificationMethod: `${issuer.controller}#${issuer.controller.slice(8)}`,
        });
        expect((signed.proof as { proofValue: string }).proofValue).toMatch(/^z/);
        expect((await verifyCredentialProof(signed, documentLoader)).verified).toBe(true);
      });

      it('detects a changed claim, a changed issuer and a changed proof option', async () => {
        const signed = await issueCredential(unsigned(), issuer, documentLoader, { cryptosuite });
        const claim = structuredClone(signed);
        (claim.credentialSubject as Record<string, unknown>).alumniOf = 'Elsewhere';
        const other = await createProofSigner(generateDidKey());
        const proofOption = structuredClone(signed);
        (proofOption.proof as { created?: string }).created = '2020-01-01T00:00:00Z';
        for (const tampered of [claim, { ...signed, issuer: other.controller }, proofOption]) {
          expect((await verifyCredentialProof(tampered, documentLoader)).verified).toBe(false);
        }
      });

      it('signs and verifies a presentation for one challenge and domain', async () => {
        const holder = await createProofSigner(generateDidKey());
        const credential = await issueCredential(unsigned(), issuer, documentLoader, { cryptosuite });
        const presentation = await signPresentation({ credentials: [credential], signer: holder, challenge: 'c-1', domain: 'verifier.example', documentLoader, cryptosuite });
        const verifier = createCredentialVerifier({ documentLoader, trustedIssuers: [{ did: issuer.controller, credentialTypes: ['*'] }], checkStatus: async () => 'unset' });
        const ok = await verifier.verifyAnyPresentation(presentation, { challenge: 'c-1', domain: 'verifier.example' });
        expect(ok).toMatchObject({ verified: true, holder: holder.controller, signed: true });
        expect(await verifier.verifyAnyPresentation(presentation, { challenge: 'c-2', domain: 'verifier.example' })).toMatchObject({ verified: false, code: 'invalid_proof' });
      });
    });
  }

  it('refuses to sign a credential that does not conform, or whose JSON-LD is unsound', async () => {
    await expect(issueCredential({ ...unsigned(), credentialSubject: {} }, issuer, documentLoader)).rejects.toBeInstanceOf(CredentialDataModelError);
    await expect(issueCredential({ ...unsigned(), '@context': [V2] }, issuer, documentLoader)).rejects.toBeInstanceOf(JsonLdError);
  });
});

describe('VCDM 1.1 credentials are verified (never issued here)', () => {
  const v1 = (signer: ProofSigner) => ({
    '@context': ['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/security/data-integrity/v2'],
    type: ['VerifiableCredential'],
    issuer: signer.controller,
    issuanceDate: '2024-05-01T00:00:00Z',
    credentialSubject: { id: 'did:example:alice' },
  });

  it('verifies the proof and reads issuanceDate/expirationDate as the validity period', async () => {
    const signed = await vc.issue({ credential: { ...v1(issuer), expirationDate: '2025-05-01T00:00:00Z' }, suite: issuer.suite(), documentLoader });
    const verifier = createCredentialVerifier({ documentLoader, trustedIssuers: [{ did: issuer.controller, credentialTypes: ['*'] }], checkStatus: async () => 'unset' });
    expect(await verifier.verifyCredential(signed, { now: new Date('2024-06-01T00:00:00Z') })).toMatchObject({ verified: true });
    expect(await verifier.verifyCredential(signed, { now: new Date('2026-06-01T00:00:00Z') })).toMatchObject({ verified: false, code: 'expired' });
    expect(await verifier.verifyCredential({ ...signed, issuanceDate: '2024-05-02T00:00:00Z' }, { now: new Date('2024-06-01T00:00:00Z') })).toMatchObject({
      verified: false,
      code: 'invalid_proof',
    });
  });
});

describe('did:jwk issuers (Ed25519 JWK)', () => {
  it('signs with the key behind did:jwk:…#0 and verifies through the derived document', async () => {
    const key = generateDidKey();
    const x = Buffer.from(decodeMultikey(key.publicKeyMultibase, ED25519_PUBLIC_HEADER)).toString('base64url');
    const did = `did:jwk:${Buffer.from(JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x })).toString('base64url')}`;
    const signer = await createProofSigner({ ...key, id: `${did}#0`, controller: did });
    const signed = await issueCredential({ ...unsigned(), issuer: did }, signer, documentLoader);
    expect((await verifyCredentialProof(signed, documentLoader)).verified).toBe(true);
  });
});

describe('VCDM 1.1 presentations', () => {
  it('verifies a VCDM 1.1 presentation signed by its holder', async () => {
    const holder = await createProofSigner(generateDidKey());
    const presentation = {
      '@context': ['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/security/data-integrity/v2'],
      type: ['VerifiablePresentation'],
      holder: holder.controller,
    };
    const signed = await vc.signPresentation({ presentation, suite: holder.suite(), documentLoader, challenge: 'c-11' });
    const verifier = createCredentialVerifier({ documentLoader, trustedIssuers: [], checkStatus: async () => 'unset' });
    expect(await verifier.verifyAnyPresentation(signed, { challenge: 'c-11' })).toMatchObject({ verified: true, holder: holder.controller });
  });
});
