import { createHash } from 'node:crypto';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { checkCredentialDataModel, checkPresentationDataModel, describeProblems } from './data-model.ts';
import { verifyCredentialProof, verifyPresentationProof } from './proofs.ts';
import { asArray, issuerId, subjectsOf, toVerified, type CredentialStatusEntry, type VerifiableCredential, type VerifiablePresentation, type VerifiedCredential } from './model.ts';

/** Why a credential or presentation was refused; each failure has its own code. */
export type RejectionCode =
  | 'malformed'
  | 'unknown_context'
  | 'unresolvable_key'
  | 'invalid_proof'
  | 'untrusted_issuer'
  | 'not_yet_valid'
  | 'expired'
  | 'revoked'
  | 'suspended'
  | 'status_unavailable'
  | 'wrong_holder';

export interface Rejection {
  code: RejectionCode;
  message: string;
  credentialId?: string;
}

export type CredentialCheck = { verified: true; credential: VerifiedCredential } | ({ verified: false } & Rejection);
/** A verified presentation: the credentials' claims, and the credentials as presented (to re-check their status later). */
export type PresentationCheck = { verified: true; holder: string; credentials: VerifiedCredential[]; presented: VerifiableCredential[] } | ({ verified: false } & Rejection);

export interface TrustedIssuer {
  did: string;
  /** Credential types trusted from this issuer; "*" trusts every type. */
  credentialTypes: string[];
}

/** Outcome of one status entry. Throw StatusUnavailableError when the list cannot be fetched or verified. */
export type StatusCheck = (entry: CredentialStatusEntry, issuer: string) => Promise<'set' | 'unset'>;

export class StatusUnavailableError extends Error {
  override name = 'StatusUnavailableError';
}

export interface CredentialVerifierOptions {
  documentLoader: DocumentLoader;
  trustedIssuers: TrustedIssuer[];
  checkStatus: StatusCheck;
  /** Proof results kept by credential digest; validity, trust and status are still checked on every use. */
  proofCache?: ProofCache;
  /** Tolerated clock difference for validFrom/validUntil, in ms (default 60 s). */
  clockSkewMs?: number;
}

/** Remembers which credential digests carried a valid proof, for a while, up to a size. */
export class ProofCache {
  private readonly entries = new Map<string, number>();
  private readonly options: { maxEntries?: number; ttlMs?: number };
  hits = 0;
  constructor(options: { maxEntries?: number; ttlMs?: number } = {}) {
    this.options = options;
  }
  has(digest: string, now = Date.now()): boolean {
    const expires = this.entries.get(digest);
    if (expires === undefined || expires < now) return false;
    this.hits++;
    return true;
  }
  add(digest: string, now = Date.now()): void {
    if (this.entries.size >= (this.options.maxEntries ?? 10_000)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(digest, now + (this.options.ttlMs ?? 10 * 60_000));
  }
}

/** A stable digest of a JSON document: keys sorted, so the same credential re-serialized hashes the same. */
export function credentialDigest(document: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(canonical) : value && typeof value === 'object' ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])])) : value;
  return createHash('sha256').update(JSON.stringify(canonical(document))).digest('base64url');
}

/** The most specific reason inside an error from the proof libraries (they wrap loader and resolver errors). */
function proofFailure(error: unknown): Rejection {
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

function isTrusted(trustedIssuers: TrustedIssuer[], issuer: string, types: string[]): boolean {
  const specific = types.filter((t) => t !== 'VerifiableCredential');
  const trusted = trustedIssuers.find((t) => t.did === issuer);
  return !!trusted && specific.every((t) => trusted.credentialTypes.includes('*') || trusted.credentialTypes.includes(t));
}

/**
 * The verifier every connector uses: data model, trusted issuer for the credential's type, validity period,
 * proof (cached by digest), status, and, when asked, that the subject is the expected holder.
 */
export function createCredentialVerifier(options: CredentialVerifierOptions) {
  const skew = options.clockSkewMs ?? 60_000;

  async function verifyCredential(credential: VerifiableCredential, check: { now?: Date; holder?: string } = {}): Promise<CredentialCheck> {
    const now = (check.now ?? new Date()).getTime();
    const reject = (code: RejectionCode, message: string): CredentialCheck => ({ verified: false, code, message, ...(credential?.id ? { credentialId: String(credential.id) } : {}) });
    const problems = checkCredentialDataModel(credential);
    if (problems.length > 0) return reject('malformed', describeProblems(problems));
    const issuer = issuerId(credential);
    if (!isTrusted(options.trustedIssuers, issuer, asArray(credential.type))) {
      return reject('untrusted_issuer', `${issuer} is not a trusted issuer of ${asArray(credential.type).join(', ')}`);
    }
    if (credential.validFrom && Date.parse(credential.validFrom) > now + skew) return reject('not_yet_valid', `valid only from ${credential.validFrom}`);
    if (credential.validUntil && Date.parse(credential.validUntil) < now - skew) return reject('expired', `expired at ${credential.validUntil}`);
    if (!credential.proof) return reject('invalid_proof', 'the credential has no proof');

    const digest = credentialDigest(credential);
    if (!options.proofCache?.has(digest, now)) {
      const proof = await verifyCredentialProof(credential, options.documentLoader);
      if (!proof.verified) {
        const failure = proofFailure(proof.error);
        return reject(failure.code, failure.message);
      }
      options.proofCache?.add(digest, now);
    }

    for (const entry of asArray(credential.credentialStatus)) {
      if (entry.type !== 'BitstringStatusListEntry') return reject('status_unavailable', `status type "${entry.type}" is not supported`);
      try {
        if ((await options.checkStatus(entry, issuer)) === 'set') {
          return reject(entry.statusPurpose === 'suspension' ? 'suspended' : 'revoked', `${entry.statusPurpose === 'suspension' ? 'suspended' : 'revoked'} by its issuer (${entry.statusListCredential}, index ${entry.statusListIndex})`);
        }
      } catch (error) {
        return reject('status_unavailable', `cannot verify its status: ${(error as Error).message}`);
      }
    }
    if (check.holder !== undefined && !subjectsOf(credential).some((s) => s.id === check.holder)) {
      return reject('wrong_holder', `its subject is not the holder ${check.holder}`);
    }
    return { verified: true, credential: toVerified(credential) };
  }

  /**
   * A presentation is accepted only whole: its own proof (by the holder, for this challenge and domain),
   * the holder being `expectedHolder` when given, and every credential in it verified and about the holder.
   */
  async function verifyPresentation(
    presentation: VerifiablePresentation,
    check: { challenge: string; domain: string; expectedHolder?: string; now?: Date },
  ): Promise<PresentationCheck> {
    const problems = checkPresentationDataModel(presentation);
    if (problems.length > 0) return { verified: false, code: 'malformed', message: describeProblems(problems) };
    const holder = presentation.holder;
    if (typeof holder !== 'string') return { verified: false, code: 'wrong_holder', message: 'the presentation names no holder' };
    if (check.expectedHolder !== undefined && holder !== check.expectedHolder) {
      return { verified: false, code: 'wrong_holder', message: `the presentation's holder ${holder} is not the caller ${check.expectedHolder}` };
    }
    const signers = asArray(presentation.proof).map((p) => p.verificationMethod?.split('#')[0]);
    if (signers.length === 0 || signers.some((s) => s !== holder)) {
      return { verified: false, code: 'wrong_holder', message: `the presentation is not signed by its holder ${holder}` };
    }
    const proof = await verifyPresentationProof(presentation, { challenge: check.challenge, domain: check.domain, documentLoader: options.documentLoader });
    if (!proof.verified) return { verified: false, ...proofFailure(proof.error) };
    const credentials: VerifiedCredential[] = [];
    for (const credential of asArray(presentation.verifiableCredential)) {
      const result = await verifyCredential(credential, { holder, ...(check.now ? { now: check.now } : {}) });
      if (!result.verified) return result;
      credentials.push(result.credential);
    }
    return { verified: true, holder, credentials, presented: asArray(presentation.verifiableCredential) };
  }

  return { verifyCredential, verifyPresentation };
}

export type CredentialVerifier = ReturnType<typeof createCredentialVerifier>;
