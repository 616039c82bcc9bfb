import { sign, verify, type KeyObject } from 'node:crypto';

/**
 * DCP self-issued ID tokens: compact JWS signed EdDSA (Ed25519) with the caller's DID key. The caller is
 * both iss and sub; aud is the callee's DID; `token` carries the access token the callee may present to
 * the caller's credential service. Tokens live a few minutes and are used once (jti).
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

export const MAX_TOKEN_LIFETIME_S = 300;
const CLOCK_SKEW_S = 30;

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function signJwt(claims: IdTokenClaims, keyId: string, privateKey: KeyObject): string {
  const input = `${b64({ alg: 'EdDSA', typ: 'JWT', kid: keyId })}.${b64(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
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
}): string {
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
  /** The public key of a verification method (`did#key`), resolved from the issuer's DID document. */
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
  if (header.alg !== 'EdDSA') throw new TokenError('wrong_algorithm', `alg must be EdDSA, not ${JSON.stringify(header.alg)}`);
  for (const key of ['iss', 'sub', 'aud', 'jti'] as const) {
    if (typeof claims[key] !== 'string' || claims[key] === '') throw new TokenError('malformed', `the token has no "${key}" claim`);
  }
  for (const key of ['iat', 'exp'] as const) {
    if (typeof claims[key] !== 'number') throw new TokenError('malformed', `the token has no numeric "${key}" claim`);
  }
  if (claims.nbf !== undefined && typeof claims.nbf !== 'number') throw new TokenError('malformed', 'the token\'s "nbf" claim is not a number');
  const c = claims as unknown as IdTokenClaims;
  if ((options.selfIssued ?? true) && c.iss !== c.sub) throw new TokenError('subject_mismatch', 'a self-issued token must have iss = sub');
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.split('#')[0] !== c.iss) throw new TokenError('unknown_key', `kid must be a verification method of the issuer ${c.iss}`);
  let publicKey: KeyObject;
  try {
    publicKey = await options.resolveKey(kid);
  } catch (error) {
    throw new TokenError('unknown_key', UNRESOLVED_KEY_REASON, `cannot resolve the signing key ${kid}: ${(error as Error).message}`);
  }
  const [h, p, s] = token.split('.');
  if (!verify(null, Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s!, 'base64url'))) throw new TokenError('bad_signature', 'the token signature does not verify');
  if (c.aud !== options.audience) throw new TokenError('wrong_audience', `the token is for ${c.aud}, not for ${options.audience}`);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (c.exp < now - CLOCK_SKEW_S) throw new TokenError('expired', 'the token has expired');
  if (c.iat > now + CLOCK_SKEW_S) throw new TokenError('not_yet_valid', 'the token was issued in the future');
  if (c.nbf !== undefined && c.nbf > now + CLOCK_SKEW_S) throw new TokenError('not_yet_valid', 'the token is not valid yet (nbf)');
  if (c.exp - c.iat > MAX_TOKEN_LIFETIME_S) throw new TokenError('too_long_lived', `tokens may live at most ${MAX_TOKEN_LIFETIME_S} s`);
  if (options.rememberTokenId && !(await options.rememberTokenId(c.jti, c.exp))) throw new TokenError('replayed', 'the token was already used (replayed jti)');
  return c;
}
