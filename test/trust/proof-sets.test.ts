import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { generateDidKey } from '../../connector/identity/did-key.ts';
import { createProofSigner, type ProofSigner } from '../../contracts/credentials/proofs.ts';
import type { RunningConnector } from '../../connector/server.ts';

const V2 = 'https://www.w3.org/ns/credentials/v2';

let verifier: RunningConnector;
let issuer: ProofSigner;
let witness: ProofSigner;

const verify = async (verifiableCredential: unknown) => {
  const response = await fetch(`${verifier.url}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential }),
  });
  return { status: response.status, body: await jsonOf(response) };
};

/** A credential issued by `issuer`, its proof given an id so that later proofs can name it. */
async function issued(): Promise<any> {
  const suite: any = issuer.suite();
  suite.proof = { id: `urn:uuid:${crypto.randomUUID()}` };
  const credential = { '@context': [V2], type: ['VerifiableCredential'], issuer: issuer.controller, credentialSubject: { id: 'did:example:patient-registry' } };
  return vc.issue({ credential, suite, documentLoader: verifier.ctx.documentLoader });
}

/** Adds the witness's proof: an independent one of the set, or one chained to `previousProof`. */
async function witnessed(credential: any, previousProof?: string): Promise<any> {
  const { proof, ...unsecured } = credential;
  const existing = Array.isArray(proof) ? proof : [proof];
  const suite: any = witness.suite();
  if (previousProof) suite.proof = { previousProof };
  // A chained proof signs the document together with the proofs it names (Data Integrity, "Add Proof").
  const named = previousProof ? existing.filter((p: any) => p.id === previousProof) : [];
  const signed = await suite.createProof({
    document: named.length > 0 ? { ...unsecured, proof: named } : unsecured,
    purpose: new jsigs.purposes.AssertionProofPurpose(),
    proofSet: existing,
    documentLoader: verifier.ctx.documentLoader,
  });
  return { ...unsecured, proof: [...existing, signed] };
}

beforeAll(async () => {
  verifier = await startTestConnector();
  issuer = await createProofSigner(generateDidKey());
  witness = await createProofSigner(generateDidKey());
});

describe('proof sets and proof chains (Data Integrity 1.0)', () => {
  it("a set with the issuer's proof and a witness's proof verifies; so does a chain naming the issuer's proof", async () => {
    const credential = await issued();
    expect((await verify(await witnessed(credential))).status).toBe(200);
    const chained = await witnessed(credential, credential.proof.id);
    const { status, body } = await verify(chained);
    expect(status, JSON.stringify(body)).toBe(200);
  });

  it('every proof of a set must verify: a tampered witness proof fails the credential', async () => {
    const credential = await witnessed(await issued());
    const forged = credential.proof[1].proofValue;
    credential.proof[1].proofValue = `${forged.slice(0, -4)}${forged.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const { status, body } = await verify(credential);
    expect(status).toBe(400);
    expect(body.errors[0].code).toBe('invalid_proof');
  });

  it('a chained proof verified without its predecessor, or naming one that is absent, fails', async () => {
    const credential = await issued();
    const chained = await witnessed(credential, credential.proof.id);
    // The chained proof signed the issuer's proof too: presented as an independent proof it does not verify.
    const { previousProof: _previous, ...unchained } = chained.proof[1];
    expect((await verify({ ...chained, proof: [chained.proof[0], unchained] })).status).toBe(400);
    const dangling = { ...chained, proof: [chained.proof[0], { ...chained.proof[1], previousProof: 'urn:uuid:not-in-the-set' }] };
    expect((await verify(dangling)).status).toBe(400);
  });
});
