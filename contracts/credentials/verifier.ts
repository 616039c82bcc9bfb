import { createHash } from 'node:crypto';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { checkCredentialDataModel, dataModelVersion, describeProblems, type DataModelVersion } from './data-model.ts';
import { verifyCredentialProof } from './proofs.ts';
import { proofFailure, verifyPresentationEnvelope } from './presentation-check.ts';
import { envelopeRefusal, isEnvelopedCredential, openEnvelopedCredential } from './vc-jose.ts';
import { isEnvelopedPresentation, openJosePresentation } from './vp-jose.ts';
import { decodeJwtCredential, isCompactJwt, openJwtCredential, openJwtPresentation } from './jwt-credentials.ts';
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
  | 'wrong_holder'
  | 'missing_challenge'
  | 'missing_credential'
  | 'invalid_schema'
  | 'schema_unavailable';

export interface Rejection {
  code: RejectionCode;
  message: string;
  credentialId?: string;
}

/** A verified credential; `warnings` says what could not be checked (a schema that cannot be fetched). */
export type CredentialCheck = { verified: true; credential: VerifiedCredential; warnings?: string[] } | ({ verified: false } & Rejection);
/**
 * A verified presentation: the credentials' claims, and the credentials as presented (to re-check their
 * status later; a JWT credential is kept as its compact JWT string).
 */
export type PresentationCheck = { verified: true; holder: string; credentials: VerifiedCredential[]; presented: VerifiableCredential[] } | ({ verified: false } & Rejection);

export interface TrustedIssuer {
  did: string;
  /** Credential types trusted from this issuer; "*" trusts every type. */
  credentialTypes: string[];
}

/** Outcome of one status entry. Throw StatusUnavailableError when the list cannot be fetched or verified. */
export type StatusCheck = (entry: CredentialStatusEntry, issuer: string) => Promise<'set' | 'unset'>;

/**
 * Checks a credential against the schemas its credentialSchema names: undefined when it conforms, else the
 * problem: a violation, or a schema that cannot be fetched or read (`unavailable`).
 */
export type SchemaCheck = (credential: VerifiableCredential) => Promise<{ unavailable: boolean; message: string } | undefined>;

export class StatusUnavailableError extends Error {
  override name = 'StatusUnavailableError';
}

export interface CredentialVerifierOptions {
  documentLoader: DocumentLoader;
  trustedIssuers: TrustedIssuer[];
  checkStatus: StatusCheck;
  /**
   * credentialSchema (VCDM 2.0 §4.11); without it schemas are not checked. A violated schema refuses the
   * credential; one that cannot be fetched only when the `schema` check is asked for, else it is a warning.
   */
  checkSchema?: SchemaCheck;
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
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(document)))
    .digest('base64url');
}

/**
 * What a credential check covers; the data model is always checked. `schema` requires the credential's
 * schemas to be fetched and checked: without it a schema that cannot be fetched is a warning, as VCDM 2.0
 * leaves schema validation to the verifier's policy and a dataspace may well be offline.
 */
export type CredentialCheckName = 'proof' | 'issuer' | 'validity' | 'status' | 'schema';
export const ALL_CREDENTIAL_CHECKS: readonly CredentialCheckName[] = ['proof', 'issuer', 'validity', 'status', 'schema'];
/** The checks run when none are named. */
export const DEFAULT_CREDENTIAL_CHECKS: readonly CredentialCheckName[] = ['proof', 'issuer', 'validity', 'status'];

export interface CredentialCheckOptions {
  now?: Date;
  /** The subject every credential must be about (the presentation's holder). */
  holder?: string;
  /** Which checks to run (default: DEFAULT_CREDENTIAL_CHECKS). */
  checks?: readonly CredentialCheckName[];
  /** Issuers trusted for this call on top of the configured ones (an authority trusts itself). */
  alsoTrusted?: TrustedIssuer[];
  /** Data models accepted (default 2.0 and 1.1). */
  versions?: DataModelVersion[];
}

/** The validity period of a credential in either data model. */
function validityOf(credential: VerifiableCredential): { from?: string; until?: string } {
  const v1 = dataModelVersion(credential) === '1.1';
  const from = v1 ? credential.issuanceDate : credential.validFrom;
  const until = v1 ? credential.expirationDate : credential.validUntil;
  return { ...(typeof from === 'string' ? { from } : {}), ...(typeof until === 'string' ? { until } : {}) };
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

  async function verifyCredential(credential: VerifiableCredential | string, check: CredentialCheckOptions = {}): Promise<CredentialCheck> {
    const now = (check.now ?? new Date()).getTime();
    const checks = new Set(check.checks ?? DEFAULT_CREDENTIAL_CHECKS);
    if (typeof credential === 'string') {
      // A JWT credential (VC-JWT 1.1 or VC-JOSE): its signature is the proof; what it holds is checked like any other.
      if (!isCompactJwt(credential)) return { verified: false, code: 'malformed', message: 'a credential given as a string must be a compact JWT' };
      const opened = await openJwtOnce(credential, now, () => openJwtCredential(credential, options.documentLoader));
      if (!opened.verified) return opened;
      return verifyCredential(opened.credential, { ...check, checks: [...checks].filter((name) => name !== 'proof') });
    }
    const reject = (code: RejectionCode, message: string): CredentialCheck => ({
      verified: false,
      code,
      message,
      ...(credential?.id ? { credentialId: String(credential.id) } : {}),
    });
    if (isEnvelopedCredential(credential)) {
      // VC-JOSE: opening the envelope is the proof check; the credential inside is checked like any other.
      const jws = typeof credential.id === 'string' ? credential.id : '';
      // The envelope's own shape is checked every time; only the JWS signature is cached.
      const shape = envelopeRefusal(credential);
      if (shape) return shape;
      const opened = await openJwtOnce(jws, now, () => openEnvelopedCredential(credential, options.documentLoader));
      if (!opened.verified) return { ...opened, ...(typeof credential.id === 'string' && !credential.id.startsWith('data:') ? { credentialId: credential.id } : {}) };
      return verifyCredential(opened.credential, { ...check, checks: [...checks].filter((name) => name !== 'proof'), versions: ['2.0'] });
    }
    const problems = checkCredentialDataModel(credential, { versions: check.versions ?? ['2.0', '1.1'] });
    if (problems.length > 0) return reject('malformed', describeProblems(problems));
    const issuer = issuerId(credential);
    const trusted = [...options.trustedIssuers, ...(check.alsoTrusted ?? [])];
    if (checks.has('issuer') && !isTrusted(trusted, issuer, asArray(credential.type))) {
      return reject('untrusted_issuer', `${issuer} is not a trusted issuer of ${asArray(credential.type).join(', ')}`);
    }
    const { from, until } = validityOf(credential);
    if (checks.has('validity') && from && Date.parse(from) > now + skew) return reject('not_yet_valid', `valid only from ${from}`);
    if (checks.has('validity') && until && Date.parse(until) < now - skew) return reject('expired', `expired at ${until}`);
    if (checks.has('proof')) {
      const failure = await checkProof(credential, now);
      if (failure) return reject(failure.code, failure.message);
    }
    if (checks.has('status')) {
      const failure = await checkStatusEntries(credential, issuer);
      if (failure) return reject(failure.code, failure.message);
    }
    const schema = await options.checkSchema?.(credential);
    if (schema && !schema.unavailable) return reject('invalid_schema', schema.message);
    if (schema && checks.has('schema')) return reject('schema_unavailable', schema.message);
    if (check.holder !== undefined && !subjectsOf(credential).some((s) => s.id === check.holder)) {
      return reject('wrong_holder', `its subject is not the holder ${check.holder}`);
    }
    return { verified: true, credential: toVerified(credential), ...(schema ? { warnings: [`not checked: ${schema.message}`] } : {}) };
  }

  /**
   * A JWT credential's signature, checked once per proof cache lifetime: a JWT whose digest verified before
   * is read without checking its signature again (validity, trust and status are still checked every time).
   */
  async function openJwtOnce(
    jwt: string,
    now: number,
    open: () => Promise<{ verified: true; credential: VerifiableCredential } | ({ verified: false } & Rejection)>,
  ): Promise<{ verified: true; credential: VerifiableCredential } | ({ verified: false } & Rejection)> {
    const digest = createHash('sha256').update(jwt).digest('base64url');
    const known = options.proofCache?.has(digest, now) ? decodeJwtCredential(jwt.replace(/^data:[^,]*,/, '')) : undefined;
    if (known) return { verified: true, credential: known };
    const opened = await open();
    if (opened.verified) options.proofCache?.add(digest, now);
    return opened;
  }

  async function checkProof(credential: VerifiableCredential, now: number): Promise<Rejection | undefined> {
    if (!credential.proof) return { code: 'invalid_proof', message: 'the credential has no proof' };
    const digest = credentialDigest(credential);
    if (options.proofCache?.has(digest, now)) return undefined;
    const proof = await verifyCredentialProof(credential, options.documentLoader);
    if (!proof.verified) return proofFailure(proof.error);
    options.proofCache?.add(digest, now);
    return undefined;
  }

  async function checkStatusEntries(credential: VerifiableCredential, issuer: string): Promise<Rejection | undefined> {
    for (const entry of asArray(credential.credentialStatus)) {
      if (entry.type !== 'BitstringStatusListEntry' && entry.type !== 'StatusList2021Entry')
        return { code: 'status_unavailable', message: `status type "${entry.type}" is not supported` };
      try {
        if ((await options.checkStatus(entry, issuer)) === 'set') {
          const purpose = entry.statusPurpose === 'suspension' ? 'suspended' : 'revoked';
          return { code: purpose, message: `${purpose} by its issuer (${entry.statusListCredential}, index ${entry.statusListIndex})` };
        }
      } catch (error) {
        return { code: 'status_unavailable', message: `cannot verify its status: ${(error as Error).message}` };
      }
    }
    return undefined;
  }

  /**
   * A presentation is accepted only whole: its own proof (by the holder, for this challenge and domain),
   * the holder being `expectedHolder` when given, and every credential in it verified and about the holder.
   * This is the dataspace's rule for presentations between connectors.
   */
  async function verifyPresentation(
    presentation: VerifiablePresentation | string,
    check: { challenge: string; domain: string; expectedHolder?: string; now?: Date },
  ): Promise<PresentationCheck> {
    if (typeof presentation === 'string') return verifyJwtPresentation(presentation, check);
    const envelope = await verifyPresentationEnvelope(presentation, {
      challenge: check.challenge,
      domain: check.domain,
      requireProof: true,
      documentLoader: options.documentLoader,
    });
    if (!envelope.verified) return envelope;
    const holder = envelope.holder!;
    if (check.expectedHolder !== undefined && holder !== check.expectedHolder) {
      return { verified: false, code: 'wrong_holder', message: `the presentation's holder ${holder} is not the caller ${check.expectedHolder}` };
    }
    const credentials: VerifiedCredential[] = [];
    for (const credential of asArray(presentation.verifiableCredential)) {
      const result = await verifyCredential(credential, { holder, ...(check.now ? { now: check.now } : {}) });
      if (!result.verified) return result;
      credentials.push(result.credential);
    }
    return { verified: true, holder, credentials, presented: asArray(presentation.verifiableCredential) };
  }

  /** A JWT presentation (`vp` claim, as EDC and the DCP TCK make them), held to the same rule. */
  async function verifyJwtPresentation(jwt: string, check: { challenge: string; domain: string; expectedHolder?: string; now?: Date }): Promise<PresentationCheck> {
    if (!isCompactJwt(jwt)) return { verified: false, code: 'malformed', message: 'a presentation given as a string must be a compact JWT' };
    const opened = await openJwtPresentation(jwt, {
      audience: check.domain,
      challenge: check.challenge,
      documentLoader: options.documentLoader,
      ...(check.now ? { now: check.now.getTime() } : {}),
    });
    if (!opened.verified) return opened;
    const { holder } = opened;
    if (check.expectedHolder !== undefined && holder !== check.expectedHolder) {
      return { verified: false, code: 'wrong_holder', message: `the presentation's holder ${holder} is not the caller ${check.expectedHolder}` };
    }
    const credentials: VerifiedCredential[] = [];
    for (const credential of opened.credentials) {
      const result = await verifyCredential(credential, { holder, ...(check.now ? { now: check.now } : {}) });
      if (!result.verified) return result;
      credentials.push(result.credential);
    }
    return { verified: true, holder, credentials, presented: opened.credentials as VerifiableCredential[] };
  }

  /**
   * A presentation as VCDM 2.0 and the VC-API verify it: signed or not, with or without a holder, its
   * credentials checked as `check.checks` says (they need not be about the holder).
   */
  async function verifyAnyPresentation(
    presentation: VerifiablePresentation | string,
    check: { challenge?: string; domain?: string; now?: Date } & Pick<CredentialCheckOptions, 'checks' | 'alsoTrusted'>,
  ): Promise<{ verified: true; holder?: string; signed: boolean; warnings: string[] } | ({ verified: false } & Rejection)> {
    let envelope: { verified: true; holder?: string; signed: boolean; warnings: string[] } | ({ verified: false } & Rejection);
    let credentials: (VerifiableCredential | string)[];
    if (typeof presentation === 'string' || isEnvelopedPresentation(presentation)) {
      // VC-JOSE (vp+jwt) or VC-JWT 1.1: the JWS is the holder's proof; its credentials are checked as any others.
      const opened = await openJosePresentation(presentation as string | Record<string, unknown>, {
        documentLoader: options.documentLoader,
        ...(check.challenge ? { challenge: check.challenge } : {}),
        ...(check.domain ? { domain: check.domain } : {}),
        ...(check.now ? { now: check.now.getTime() } : {}),
      });
      if (!opened.verified) return opened;
      envelope = { verified: true, holder: opened.holder, signed: true, warnings: [] };
      credentials = opened.credentials;
    } else {
      envelope = await verifyPresentationEnvelope(presentation, { ...check, documentLoader: options.documentLoader });
      credentials = asArray(presentation.verifiableCredential);
    }
    if (!envelope.verified) return envelope;
    const warnings = [...envelope.warnings];
    for (const credential of credentials) {
      const result = await verifyCredential(credential, check);
      if (!result.verified) return result;
      warnings.push(...(result.warnings ?? []));
    }
    return { ...envelope, warnings };
  }

  return { verifyCredential, verifyPresentation, verifyAnyPresentation };
}

export type CredentialVerifier = ReturnType<typeof createCredentialVerifier>;
