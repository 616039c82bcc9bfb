import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as rdfcCryptosuite } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createSignCryptosuite as jcsSignCryptosuite, createVerifyCryptosuite as jcsVerifyCryptosuite } from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import jsigs from 'jsonld-signatures';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { checkCredentialDataModel, dataModelVersion, describeProblems, type DataModelProblem } from './data-model.ts';
import { describeJsonLdError } from './json-ld-check.ts';
import type { VerifiableCredential, VerifiablePresentation } from './model.ts';

/**
 * Data Integrity proofs (eddsa-rdfc-2022 and eddsa-jcs-2022) through the Digital Bazaar libraries: issuing credentials, signing
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

/** The Data Integrity cryptosuites this connector signs and verifies with. RDFC canonicalizes the RDF graph; JCS the JSON. */
export const CRYPTOSUITES = ['eddsa-rdfc-2022', 'eddsa-jcs-2022'] as const;
export type Cryptosuite = (typeof CRYPTOSUITES)[number];

export interface ProofSigner {
  /** The verification method that signs. */
  keyId: string;
  controller: string;
  suite(cryptosuite?: Cryptosuite): DataIntegrityProof;
}

/** Loads the key pair once; each signature gets a fresh suite (a suite carries its proof's date). */
export async function createProofSigner(key: SigningKey): Promise<ProofSigner> {
  const keyPair = await Ed25519Multikey.from({ ...key, type: 'Multikey' });
  const signer = keyPair.signer();
  return {
    keyId: key.id,
    controller: key.controller,
    suite: (cryptosuite = 'eddsa-rdfc-2022') => new DataIntegrityProof({ signer, cryptosuite: cryptosuite === 'eddsa-jcs-2022' ? jcsSignCryptosuite() : rdfcCryptosuite }),
  };
}

/** The same signer, signing with `cryptosuite` unless a caller names another. */
export function signingWith(signer: ProofSigner, cryptosuite: Cryptosuite): ProofSigner {
  return { ...signer, suite: (chosen = cryptosuite) => signer.suite(chosen) };
}

type VerifyProofOptions = Parameters<DataIntegrityProof['verifyProof']>[0];

/**
 * A Data Integrity proof that may be part of a proof chain: a proof naming `previousProof` was made over the
 * document together with the proofs it names (Data Integrity 1.0, "Verify Proof Sets and Chains"), so it is
 * verified over that document; a named proof that is not in the set fails it.
 */
class ChainedDataIntegrityProof extends DataIntegrityProof {
  override async verifyProof(options: VerifyProofOptions) {
    const previous = options.proof.previousProof as string | string[] | undefined;
    if (previous === undefined) return super.verifyProof(options);
    const ids = Array.isArray(previous) ? previous : [previous];
    const matching = ids.map((id) => options.proofSet.find((candidate) => candidate.id === id));
    if (matching.some((candidate) => !candidate)) return { verified: false, error: new Error('a previousProof names a proof that is not in the proof set') };
    return super.verifyProof({ ...options, document: { ...(options.document as object), proof: matching } });
  }
}

/** One suite per cryptosuite: the libraries pick the one whose name the proof carries. */
export function verificationSuites(): DataIntegrityProof[] {
  return [new ChainedDataIntegrityProof({ cryptosuite: rdfcCryptosuite }), new ChainedDataIntegrityProof({ cryptosuite: jcsVerifyCryptosuite() })];
}

/**
 * A JSON-LD processing failure while signing or verifying (an undefined term, a redefined protected term,
 * a context the connector does not hold): the document's fault, never the server's.
 */
export class JsonLdError extends Error {
  override name = 'JsonLdError';
}

function isJsonLdFailure(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  return name.startsWith('jsonld.') || name === 'DocumentLoaderError';
}

/**
 * Checks the data model the credential claims (VCDM 2.0, or 1.1 when its first context is the 1.1 one), then
 * signs. Throws CredentialDataModelError or JsonLdError when the document is at fault.
 */
export async function issueCredential(
  credential: VerifiableCredential,
  signer: ProofSigner,
  documentLoader: DocumentLoader,
  options: { cryptosuite?: Cryptosuite } = {},
): Promise<VerifiableCredential> {
  const problems = checkCredentialDataModel(credential, { versions: ['2.0', '1.1'] });
  if (credential.proof !== undefined) problems.push({ path: 'proof', message: 'must be absent: the issuer adds the proof' });
  if (problems.length > 0) throw new CredentialDataModelError(problems);
  try {
    return await vc.issue({ credential: structuredClone(credential), suite: signer.suite(options.cryptosuite), documentLoader });
  } catch (error) {
    if (isJsonLdFailure(error)) throw new JsonLdError(describeJsonLdError(error), { cause: error });
    throw error;
  }
}

/**
 * Verifies a credential's proof and nothing else: validity dates and status are the verifier's business
 * (it checks them on every use, even when this result is cached), so both are neutralised here.
 */
export async function verifyCredentialProof(credential: VerifiableCredential, documentLoader: DocumentLoader): Promise<{ verified: boolean; error?: Error }> {
  const start = dataModelVersion(credential) === '1.1' ? credential.issuanceDate : credential.validFrom;
  const validFrom = typeof start === 'string' ? Date.parse(start) : Date.now();
  const result = await vc.verifyCredential({
    credential,
    suite: verificationSuites(),
    documentLoader,
    checkStatus: async () => ({ verified: true }),
    now: new Date(Number.isNaN(validFrom) ? Date.now() : validFrom),
  });
  // The libraries accept a proof set when one of its proofs verifies; every proof of a set must (one by the
  // issuer; others, such as a co-signer's, need not be the issuer's but their signatures must hold).
  type ProofResult = { verified: boolean; error?: Error; purposeResult?: { valid: boolean } };
  const failed = ((result.results ?? []) as ProofResult[]).find((r) => !r.verified && !(r.purposeResult && !r.purposeResult.valid));
  if (result.verified && failed) return { verified: false, error: failed.error ?? new Error('one of its proofs does not verify') };
  return { verified: result.verified, ...(result.error ? { error: result.error } : {}) };
}

/** A presentation of `credentials` by `holder`, signed for one verifier (`domain`) and one exchange (`challenge`). */
export async function signPresentation(options: {
  credentials: VerifiableCredential[];
  signer: ProofSigner;
  challenge: string;
  domain: string;
  documentLoader: DocumentLoader;
  cryptosuite?: Cryptosuite;
}): Promise<VerifiablePresentation> {
  const presentation = vc.createPresentation({ holder: options.signer.controller, id: `urn:uuid:${crypto.randomUUID()}` });
  if (options.credentials.length > 0) presentation.verifiableCredential = options.credentials;
  return vc.signPresentation({
    presentation,
    suite: options.signer.suite(options.cryptosuite),
    documentLoader: options.documentLoader,
    challenge: options.challenge,
    domain: options.domain,
  });
}

/** Verifies the presentation's own proof (authentication purpose, challenge, domain); not the credentials inside it. */
export async function verifyPresentationProof(
  presentation: VerifiablePresentation,
  options: { challenge: string; domain?: string; documentLoader: DocumentLoader },
): Promise<{ verified: boolean; error?: Error }> {
  const purpose = new jsigs.purposes.AuthenticationProofPurpose({ challenge: options.challenge, ...(options.domain !== undefined ? { domain: options.domain } : {}) });
  const result = await jsigs.verify(presentation, { suite: verificationSuites(), purpose, documentLoader: options.documentLoader });
  return { verified: result.verified, ...(result.error ? { error: result.error } : {}) };
}
