import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import jsigs from 'jsonld-signatures';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { checkCredentialDataModel, checkDataspaceClaims, describeProblems, type DataModelProblem } from './data-model.ts';
import type { VerifiableCredential, VerifiablePresentation } from './model.ts';

/**
 * Data Integrity proofs (eddsa-rdfc-2022) through the Digital Bazaar libraries: issuing credentials, signing
 * presentations, and checking a proof alone. Policy (trusted issuers, validity, status, holder) lives in
 * verifier.ts; this module only answers "is this proof valid for that key".
 */

export class CredentialDataModelError extends Error {
  override name = 'CredentialDataModelError';
  readonly problems: DataModelProblem[];
  constructor(problems: DataModelProblem[]) {
    super(`The credential does not conform to the data model: ${describeProblems(problems)}`);
    this.problems = problems;
  }
}

/** The signing key of an issuer or holder: its verification method id, controller DID and Multikey values. */
export interface SigningKey {
  id: string;
  controller: string;
  publicKeyMultibase: string;
  secretKeyMultibase: string;
}

export interface ProofSigner {
  /** The verification method that signs. */
  keyId: string;
  controller: string;
  suite(): DataIntegrityProof;
}

/** Loads the key pair once; each signature gets a fresh suite (a suite carries its proof's date). */
export async function createProofSigner(key: SigningKey): Promise<ProofSigner> {
  const keyPair = await Ed25519Multikey.from({ ...key, type: 'Multikey' });
  const signer = keyPair.signer();
  return { keyId: key.id, controller: key.controller, suite: () => new DataIntegrityProof({ signer, cryptosuite }) };
}

function verificationSuite(): DataIntegrityProof {
  return new DataIntegrityProof({ cryptosuite });
}

/** Checks the data model and this dataspace's claims, then signs. Throws CredentialDataModelError when it does not conform. */
export async function issueCredential(credential: VerifiableCredential, signer: ProofSigner, documentLoader: DocumentLoader): Promise<VerifiableCredential> {
  const problems = [...checkCredentialDataModel(credential), ...checkDataspaceClaims(credential)];
  if (credential.proof !== undefined) problems.push({ path: 'proof', message: 'must be absent: the issuer adds the proof' });
  if (problems.length > 0) throw new CredentialDataModelError(problems);
  return vc.issue({ credential: structuredClone(credential), suite: signer.suite(), documentLoader });
}

/**
 * Verifies a credential's proof and nothing else: validity dates and status are the verifier's business
 * (it checks them on every use, even when this result is cached), so both are neutralised here.
 */
export async function verifyCredentialProof(credential: VerifiableCredential, documentLoader: DocumentLoader): Promise<{ verified: boolean; error?: Error }> {
  const validFrom = credential.validFrom ? Date.parse(credential.validFrom) : Date.now();
  const result = await vc.verifyCredential({
    credential,
    suite: verificationSuite(),
    documentLoader,
    checkStatus: async () => ({ verified: true }),
    now: new Date(Number.isNaN(validFrom) ? Date.now() : validFrom),
  });
  return { verified: result.verified, ...(result.error ? { error: result.error } : {}) };
}

/** A presentation of `credentials` by `holder`, signed for one verifier (`domain`) and one exchange (`challenge`). */
export async function signPresentation(options: {
  credentials: VerifiableCredential[];
  signer: ProofSigner;
  challenge: string;
  domain: string;
  documentLoader: DocumentLoader;
}): Promise<VerifiablePresentation> {
  const presentation = vc.createPresentation({ holder: options.signer.controller, id: `urn:uuid:${crypto.randomUUID()}` });
  if (options.credentials.length > 0) presentation.verifiableCredential = options.credentials;
  return vc.signPresentation({ presentation, suite: options.signer.suite(), documentLoader: options.documentLoader, challenge: options.challenge, domain: options.domain });
}

/** Verifies the presentation's own proof (authentication purpose, challenge, domain); not the credentials inside it. */
export async function verifyPresentationProof(
  presentation: VerifiablePresentation,
  options: { challenge: string; domain: string; documentLoader: DocumentLoader },
): Promise<{ verified: boolean; error?: Error }> {
  const purpose = new jsigs.purposes.AuthenticationProofPurpose({ challenge: options.challenge, domain: options.domain });
  const result = await jsigs.verify(presentation, { suite: verificationSuite(), purpose, documentLoader: options.documentLoader });
  return { verified: result.verified, ...(result.error ? { error: result.error } : {}) };
}
