import * as vc from '@digitalbazaar/vc';
import jsigs from 'jsonld-signatures';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { issueCredential, verificationSuites, type ProofSigner } from './proofs.ts';
import { asArray, CREDENTIAL_CONTEXTS, CREDENTIAL_TYPE, issuerId, type VerifiableCredential } from './model.ts';

/**
 * A contract agreement both parties signed, verifiable offline from their two DIDs. The provider issues it
 * as a ContractAgreementCredential (assertionMethod proof, issuer = assigner); the consumer counter-signs
 * with an authentication proof whose challenge is the agreement id and whose domain is the provider, so the
 * signature cannot be lifted onto another agreement or presented to someone else.
 */
export interface OdrlAgreement {
  '@id': string;
  '@type'?: string;
  target: string;
  assigner: string;
  assignee: string;
  timestamp?: string;
  [key: string]: unknown;
}

export interface AgreementFacts {
  agreementId: string;
  provider: string;
  consumer: string;
  target: string;
  signedAt: string;
  agreement: OdrlAgreement;
}

export type AgreementCheck = ({ verified: true } & AgreementFacts) | { verified: false; reason: string };

export class AgreementError extends Error {
  override name = 'AgreementError';
}

/** The provider's signature over the agreement. */
export async function issueAgreementCredential(agreement: OdrlAgreement, signer: ProofSigner, documentLoader: DocumentLoader, now = new Date()): Promise<VerifiableCredential> {
  if (agreement.assigner !== signer.controller) throw new AgreementError(`the provider ${signer.controller} is not the agreement's assigner ${agreement.assigner}`);
  const signedAt = now.toISOString();
  return issueCredential(
    {
      '@context': [...CREDENTIAL_CONTEXTS],
      id: `urn:uuid:${crypto.randomUUID()}`,
      type: ['VerifiableCredential', CREDENTIAL_TYPE.agreement],
      issuer: agreement.assigner,
      validFrom: signedAt,
      credentialSubject: {
        id: agreement.assignee,
        agreementId: agreement['@id'],
        target: agreement.target,
        assigner: agreement.assigner,
        assignee: agreement.assignee,
        signedAt,
        agreement,
      },
    },
    signer,
    documentLoader,
  );
}

/** The consumer's counter-signature: checks the provider's first, then adds its own authentication proof. */
export async function counterSignAgreement(
  credential: VerifiableCredential,
  signer: ProofSigner,
  documentLoader: DocumentLoader,
  expected: { agreementId: string; provider: string },
): Promise<VerifiableCredential> {
  const facts = factsOf(credential);
  if (facts.agreementId !== expected.agreementId || facts.provider !== expected.provider)
    throw new AgreementError('the agreement credential is not the agreement being negotiated');
  if (facts.consumer !== signer.controller) throw new AgreementError(`the agreement is for ${facts.consumer}, not for ${signer.controller}`);
  const provider = await verifyProviderProof(credential, documentLoader);
  if (!provider.verified) throw new AgreementError(`the provider's signature does not verify: ${provider.reason}`);
  return jsigs.sign(structuredClone(credential), {
    suite: signer.suite(),
    purpose: new jsigs.purposes.AuthenticationProofPurpose({ challenge: facts.agreementId, domain: facts.provider }),
    documentLoader,
  }) as Promise<VerifiableCredential>;
}

function factsOf(credential: VerifiableCredential): AgreementFacts {
  if (!asArray(credential?.type).includes(CREDENTIAL_TYPE.agreement)) throw new AgreementError('not a ContractAgreementCredential');
  const subject = credential.credentialSubject as Record<string, unknown>;
  const agreement = subject.agreement as OdrlAgreement | undefined;
  if (!agreement || typeof agreement !== 'object') throw new AgreementError('the credential carries no agreement');
  const facts = {
    agreementId: String(subject.agreementId),
    provider: issuerId(credential),
    consumer: String(subject.id),
    target: String(subject.target),
    signedAt: String(subject.signedAt),
    agreement,
  };
  if (
    agreement['@id'] !== facts.agreementId ||
    agreement.assigner !== facts.provider ||
    agreement.assignee !== facts.consumer ||
    agreement.target !== facts.target ||
    subject.assigner !== facts.provider ||
    subject.assignee !== facts.consumer
  ) {
    throw new AgreementError('the agreement inside the credential contradicts the credential (id, assigner, assignee or target)');
  }
  return facts;
}

async function verifyProviderProof(credential: VerifiableCredential, documentLoader: DocumentLoader): Promise<{ verified: boolean; reason?: string }> {
  const result = await vc.verifyCredential({ credential, suite: verificationSuites(), documentLoader });
  return result.verified ? { verified: true } : { verified: false, reason: result.error?.message ?? 'invalid proof' };
}

/**
 * Verifies a doubly-signed agreement with nothing but a document loader that resolves the two DIDs: the
 * provider's assertion proof (issuer = assigner) and the consumer's authentication proof for this agreement
 * id and provider, made with a key of the assignee.
 */
export async function verifyAgreementCredential(credential: VerifiableCredential, documentLoader: DocumentLoader): Promise<AgreementCheck> {
  let facts: AgreementFacts;
  try {
    facts = factsOf(credential);
  } catch (error) {
    return { verified: false, reason: (error as Error).message };
  }
  const provider = await verifyProviderProof(credential, documentLoader);
  if (!provider.verified) return { verified: false, reason: `provider signature: ${provider.reason}` };
  const consumer = await jsigs.verify(credential, {
    suite: verificationSuites(),
    purpose: new jsigs.purposes.AuthenticationProofPurpose({ challenge: facts.agreementId, domain: facts.provider }),
    documentLoader,
  });
  const byAssignee = (consumer.results ?? []).some((r) => r.verified && String(r.proof?.verificationMethod ?? '').split('#')[0] === facts.consumer);
  if (!byAssignee) return { verified: false, reason: `consumer counter-signature by ${facts.consumer} is missing or invalid` };
  return { verified: true, ...facts };
}
