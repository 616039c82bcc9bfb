import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { algorithmOfKey, JOSE_ALGORITHMS, type JoseAlgorithm } from './jose-keys.ts';

/**
 * DCP self-issued ID tokens (DCP 1.0 §4.3): compact JWS (jose) signed with the caller's DID key, EdDSA
 * (Ed25519), ES256 (P-256) or ES384 (P-384). The caller is both iss and sub; aud is the callee's DID;
 * `token` carries the access token the callee may present to the caller's credential service. Tokens live
 * at most ten minutes (the DCP TCK's tokens live 600 s), honour nbf, and are used once (jti).
 */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  /** Not before (seconds); optional, checked with the same clock skew as exp. */
  nbf?: number;
  jti: string;
  /** Access token for the issuer's credential service (DCP). */
  token?: string;
  /** Space-separated scopes (access tokens). */
  scope?: string;
}

export type TokenRejection =
  | 'malformed'
  | 'wrong_algorithm'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'too_long_lived'
  | 'replayed'
  | 'subject_mismatch';

/** A refused token. `message` is safe to tell the caller; `detail`, when set, is for our own log only. */
export class TokenError extends Error {
  override name = 'TokenError';
  readonly code: TokenRejection;
  readonly detail: string | undefined;
  constructor(code: TokenRejection, message: string, detail?: string) {
    super(message);
    this.code = code;
    this.detail = detail;
  }
}

/** Why a key could not be resolved stays in our log: the reason would tell a caller which internal ports answer. */
export const UNRESOLVED_KEY_REASON = "the caller's signing key could not be resolved from its DID document";

export const MAX_TOKEN_LIFETIME_S = 600;
const CLOCK_SKEW_S = 30;

/** The JOSE algorithm of a private (or public) key: EdDSA for Ed25519, ES256 for P-256, ES384 for P-384. */
export function algorithmFor(key: KeyObject): JoseAlgorithm {
  const algorithm = algorithmOfKey(key);
  if (!algorithm) throw new Error(`cannot sign JWTs with a ${key.asymmetricKeyType} key`);
  return algorithm;
}

/** A compact JWS of `payload`, its protected header `alg` (from the key), `kid` and `typ`, plus `extraHeader`. */
export async function signJws(payload: object, options: { keyId: string; privateKey: KeyObject; typ?: string; extraHeader?: Record<string, string> }): Promise<string> {
  return new CompactSign(Buffer.from(JSON.stringify(payload)))
    .setProtectedHeader({ ...options.extraHeader, alg: algorithmFor(options.privateKey), kid: options.keyId, typ: options.typ ?? 'JWT' })
    .sign(options.privateKey);
}

export function signJwt(claims: IdTokenClaims, keyId: string, privateKey: KeyObject): Promise<string> {
  return signJws(claims, { keyId, privateKey });
}

/** Whether a compact JWS verifies with `key` under `algorithm` (jose checks the header's alg is that one). */
export async function jwsVerifies(jws: string, key: KeyObject, algorithm: JoseAlgorithm): Promise<boolean> {
  try {
    await compactVerify(jws, key, { algorithms: [algorithm] });
    return true;
  } catch {
    return false;
  }
}

/** A fresh token from `issuer` to `audience`, valid for `lifetimeS` seconds. */
export function createIdToken(options: {
  issuer: string;
  keyId: string;
  privateKey: KeyObject;
  audience: string;
  accessToken?: string;
  scope?: string;
  lifetimeS?: number;
  now?: number;
}): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return signJwt(
    {
      iss: options.issuer,
      sub: options.issuer,
      aud: options.audience,
      iat,
      exp: iat + (options.lifetimeS ?? 120),
      jti: crypto.randomUUID(),
      ...(options.accessToken ? { token: options.accessToken } : {}),
      ...(options.scope ? { scope: options.scope } : {}),
    },
    options.keyId,
    options.privateKey,
  );
}

function decodePart(part: string | undefined, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value;
  } catch {
    // fall through
  }
  throw new TokenError('malformed', `the token's ${what} is not a base64url JSON object`);
}

/** Reads header and claims without checking anything; used to find the key to verify with. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed', 'a token is three base64url parts separated by dots');
  return { header: decodePart(parts[0], 'header'), claims: decodePart(parts[1], 'payload') };
}

export interface VerifyIdTokenOptions {
  /** This connector's DID: the only audience accepted. */
  audience: string;
  /**
   * The public key of a verification method (`did#key`), resolved from the issuer's DID document; for a
   * token without `kid`, the bare DID: its document's only verification method (DCP 1.0 §4.3.3).
   */
  resolveKey(keyId: string): Promise<KeyObject>;
  /** Records the jti until the token expires; returns false if it was already recorded (a replay). */
  rememberTokenId?(jti: string, expiresAt: number): Promise<boolean>;
  now?: number;
  /** When false, iss need not equal sub (access tokens name the verifier as sub). */
  selfIssued?: boolean;
}

/** Verifies signature, audience, times and single use; returns the claims or throws TokenError with its reason. */
export async function verifyIdToken(token: string, options: VerifyIdTokenOptions): Promise<IdTokenClaims> {
  const { header, claims } = decodeJwt(token);
  if (!JOSE_ALGORITHMS.includes(header.alg as JoseAlgorithm))
    throw new TokenError('wrong_algorithm', `alg must be one of ${JOSE_ALGORITHMS.join(', ')}, not ${JSON.stringify(header.alg)}`);
  for (const key of ['iss', 'sub', 'aud', 'jti'] as const) {
    if (typeof claims[key] !== 'string' || claims[key] === '') throw new TokenError('malformed', `the token has no "${key}" claim`);
  }
  for (const key of ['iat', 'exp'] as const) {
    if (typeof claims[key] !== 'number') throw new TokenError('malformed', `the token has no numeric "${key}" claim`);
  }
  if (claims.nbf !== undefined && typeof claims.nbf !== 'number') throw new TokenError('malformed', 'the token\'s "nbf" claim is not a number');
  const c = claims as unknown as IdTokenClaims;
  if ((options.selfIssued ?? true) && c.iss !== c.sub) throw new TokenError('subject_mismatch', 'a self-issued token must have iss = sub');
  const kid = header.kid ?? c.iss;
  if (typeof kid !== 'string' || kid.split('#')[0] !== c.iss) throw new TokenError('unknown_key', `kid must be a verification method of the issuer ${c.iss}`);
  let publicKey: KeyObject;
  try {
    publicKey = await options.resolveKey(kid);
  } catch (error) {
    throw new TokenError('unknown_key', UNRESOLVED_KEY_REASON, `cannot resolve the signing key ${kid}: ${(error as Error).message}`);
  }
  const algorithm = algorithmOfKey(publicKey);
  if (!algorithm || algorithm !== header.alg) throw new TokenError('wrong_algorithm', `the key ${kid} signs ${algorithm ?? 'nothing JOSE knows'}, not ${String(header.alg)}`);
  if (!(await jwsVerifies(token, publicKey, algorithm))) throw new TokenError('bad_signature', 'the token signature does not verify');
  if (c.aud !== options.audience) throw new TokenError('wrong_audience', `the token is for ${c.aud}, not for ${options.audience}`);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (c.exp < now - CLOCK_SKEW_S) throw new TokenError('expired', 'the token has expired');
  if (c.iat > now + CLOCK_SKEW_S) throw new TokenError('not_yet_valid', 'the token was issued in the future');
  if (c.nbf !== undefined && c.nbf > now + CLOCK_SKEW_S) throw new TokenError('not_yet_valid', 'the token is not valid yet (nbf)');
  if (c.exp - c.iat > MAX_TOKEN_LIFETIME_S) throw new TokenError('too_long_lived', `tokens may live at most ${MAX_TOKEN_LIFETIME_S} s`);
  if (options.rememberTokenId && !(await options.rememberTokenId(c.jti, c.exp))) throw new TokenError('replayed', 'the token was already used (replayed jti)');
  return c;
}
