import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { checkPresentationDataModel, describeProblems, idOf } from './data-model.ts';
import { asArray, type VerifiablePresentation } from './model.ts';
import { verifyPresentationProof } from './proofs.ts';
import type { Rejection } from './verifier.ts';

/**
 * A presentation's own envelope, as VCDM 2.0 has it: the data model, then, when it carries a proof, that
 * proof (authentication purpose, for the verifier's challenge and, if given, its domain) by the holder's
 * key when it names a holder. A presentation without a proof is valid but proves nothing about who
 * presents it: the caller decides whether that is enough (`requireProof`).
 */

export interface PresentationEnvelopeOptions {
  challenge?: string;
  domain?: string;
  /** Refuse a presentation that is not signed, or that names no holder. */
  requireProof?: boolean;
  documentLoader: DocumentLoader;
}

export type EnvelopeCheck = { verified: true; holder?: string; signed: boolean; warnings: string[] } | ({ verified: false } & Rejection);

/** The most specific reason inside an error from the proof libraries (they wrap loader and resolver errors). */
export function proofFailure(error: unknown): Rejection {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const e = queue.shift() as { name?: string; message?: string; cause?: unknown; details?: { cause?: unknown }; errors?: unknown[] } | undefined;
    if (!e || seen.has(e)) continue;
    seen.add(e);
    if (e.name === 'DocumentLoaderError') return { code: 'unknown_context', message: e.message ?? 'unknown JSON-LD context' };
    if (e.name === 'DidResolutionError') return { code: 'unresolvable_key', message: e.message ?? 'the signing key could not be resolved' };
    queue.push(e.cause, e.details?.cause, ...(e.errors ?? []));
  }
  const message = (error as Error | undefined)?.message;
  return { code: 'invalid_proof', message: `the proof does not verify${message ? `: ${message}` : ''}` };
}

export async function verifyPresentationEnvelope(presentation: VerifiablePresentation, options: PresentationEnvelopeOptions): Promise<EnvelopeCheck> {
  const problems = checkPresentationDataModel(presentation, { versions: ['2.0', '1.1'] });
  if (problems.length > 0) return { verified: false, code: 'malformed', message: describeProblems(problems) };
  const holder = idOf(presentation.holder);
  const proofs = asArray(presentation.proof);
  if (proofs.length === 0) {
    if (options.requireProof) return { verified: false, code: 'invalid_proof', message: 'the presentation carries no proof by its holder' };
    return { verified: true, ...(holder ? { holder } : {}), signed: false, warnings: ['the presentation carries no proof: who presents it is not authenticated'] };
  }
  if (options.requireProof && !holder) return { verified: false, code: 'wrong_holder', message: 'the presentation names no holder' };
  if (holder) {
    const signers = proofs.map((p) => (typeof p.verificationMethod === 'string' ? p.verificationMethod.split('#')[0] : undefined));
    if (signers.some((s) => s !== holder)) return { verified: false, code: 'wrong_holder', message: `the presentation is not signed by its holder ${holder}` };
  }
  if (!options.challenge) return { verified: false, code: 'missing_challenge', message: 'a signed presentation is verified against a challenge: options.challenge is required' };
  const proof = await verifyPresentationProof(presentation, {
    challenge: options.challenge,
    ...(options.domain !== undefined ? { domain: options.domain } : {}),
    documentLoader: options.documentLoader,
  });
  if (!proof.verified) return { verified: false, ...proofFailure(proof.error) };
  return { verified: true, ...(holder ? { holder } : {}), signed: true, warnings: [] };
}
