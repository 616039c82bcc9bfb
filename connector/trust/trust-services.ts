import type { KeyObject } from 'node:crypto';
import type { ConnectorConfig } from '../config.ts';
import type { DidResolverService } from '../identity/did-resolver.ts';
import type { IdentityKey } from '../identity/keys.ts';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import type { DspRequest } from '../http/dsp-client.ts';
import { publicKeyOfMethod } from '../../contracts/credentials/jose-keys.ts';
import { P256_KEY_FRAGMENT } from '../identity/did-web.ts';
import { createProofSigner, type ProofSigner } from '../../contracts/credentials/proofs.ts';
import { createCredentialVerifier, ProofCache, type CredentialVerifier } from '../../contracts/credentials/verifier.ts';
import { createIdToken, signJwt, TokenError, verifyIdToken, type IdTokenClaims } from '../../contracts/credentials/id-token.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { createStatusChecker } from './status-lists.ts';
import { createSchemaChecker } from './credential-schemas.ts';
import { egressFor } from '../egress/connector-egress.ts';
import { scopeForType } from './scopes.ts';

/** Who called a DSP or DCP endpoint, once its self-issued ID token has been verified. */
export interface Caller {
  did: string;
  /** The access token for the caller's credential service, if it sent one. */
  accessToken?: string;
  /** The jti of the caller's token. */
  tokenId: string;
}

/** By default a peer may read this connector's participant credential; requests that need more say so. */
export const DEFAULT_SCOPES = [scopeForType(CREDENTIAL_TYPE.participant)];
const ACCESS_TOKEN_LIFETIME_S = 300;

/** The key this connector signs its JWTs with (ID tokens, access tokens, JWT presentations), as configured. */
export interface JwtSigningKey {
  keyId: string;
  privateKey: KeyObject;
}

export interface TrustServices {
  signer: ProofSigner;
  verifier: CredentialVerifier;
  proofCache: ProofCache;
  statusChecker: ReturnType<typeof createStatusChecker>;
  /** The key of this connector's JWTs (`jwtAlgorithm`: EdDSA with key-1, ES256 with key-2). */
  jwtKey: JwtSigningKey;
  /** The Authorization header for an outgoing peer request: a self-issued ID token for its audience. */
  authorizationFor(request: Pick<DspRequest, 'audienceDid' | 'scopes' | 'accessToken'>): Promise<string>;
  /** A self-issued ID token for `audience`, carrying an access token for `scopes` when any are asked (the STS). */
  selfIssuedToken(audience: string, scopes: string[]): Promise<string>;
  /** Verifies an incoming Authorization header (replays refused); throws TokenError. */
  authenticate(authorization: string): Promise<Caller>;
  /** Verifies an access token this connector minted for `verifierDid`; returns its scopes. Throws TokenError. */
  checkAccessToken(accessToken: string, verifierDid: string): Promise<string[]>;
  /** The public key of a verification method listed for authentication or capabilityInvocation; a bare DID: its only one. */
  resolveAuthenticationKey(keyId: string): Promise<KeyObject>;
}

export interface TrustDependencies {
  config: ConnectorConfig;
  did: string;
  keyId: string;
  key: IdentityKey;
  didResolver: DidResolverService;
  documentLoader: DocumentLoader;
  /** Records a token id until it expires; false if seen before. */
  rememberTokenId(jti: string, expiresAt: number): Promise<boolean>;
}

export async function createTrustServices(deps: TrustDependencies): Promise<TrustServices> {
  const signer = await createProofSigner({
    id: deps.keyId,
    controller: deps.did,
    publicKeyMultibase: deps.key.publicKeyMultibase,
    secretKeyMultibase: deps.key.secretKeyMultibase(),
  });
  const proofCache = new ProofCache();
  const statusChecker = createStatusChecker({
    documentLoader: deps.documentLoader,
    ttlMs: deps.config.statusListCacheTtlSeconds * 1000,
    allowInsecureHttp: deps.config.allowInsecureHttpDids,
    fetch: egressFor(deps.config),
  });
  const checkSchema = createSchemaChecker({ ttlMs: 300_000, allowInsecureHttp: deps.config.allowInsecureHttpDids, fetch: egressFor(deps.config) });
  const verifier = createCredentialVerifier({
    documentLoader: deps.documentLoader,
    trustedIssuers: deps.config.trustedIssuers,
    checkStatus: statusChecker,
    checkSchema,
    proofCache,
  });

  const keys = new Map<string, KeyObject>();
  async function resolveAuthenticationKey(keyId: string): Promise<KeyObject> {
    let id = keyId;
    if (!keyId.includes('#')) {
      // DCP 1.0 §4.3.3: a token without kid names its issuer's only verification method.
      const methods = (await deps.didResolver.resolve(keyId)).verificationMethod ?? [];
      if (methods.length !== 1) throw new Error(`the token names no kid and ${keyId} has ${methods.length} verification methods`);
      id = methods[0]!.id.startsWith('#') ? `${keyId}${methods[0]!.id}` : methods[0]!.id;
    }
    const method = await deps.didResolver.verificationMethod(id, ['capabilityInvocation', 'authentication']);
    const material = JSON.stringify([method.publicKeyMultibase, method.publicKeyJwk]);
    let key = keys.get(material);
    if (!key) {
      key = publicKeyOfMethod(method).key;
      if (keys.size >= 1000) keys.delete(keys.keys().next().value!);
      keys.set(material, key);
    }
    return key;
  }

  const jwtKey: JwtSigningKey =
    deps.config.jwtAlgorithm === 'ES256'
      ? { keyId: `${deps.did}#${P256_KEY_FRAGMENT}`, privateKey: deps.key.p256.privateKey }
      : { keyId: deps.keyId, privateKey: deps.key.privateKey };

  /** An access token for our own credential service, usable by `verifierDid` for `scopes` only. */
  function accessTokenFor(verifierDid: string, scopes: string[]): Promise<string> {
    const iat = Math.floor(Date.now() / 1000);
    const claims: IdTokenClaims = { iss: deps.did, sub: verifierDid, aud: deps.did, iat, exp: iat + ACCESS_TOKEN_LIFETIME_S, jti: crypto.randomUUID(), scope: scopes.join(' ') };
    return signJwt(claims, jwtKey.keyId, jwtKey.privateKey);
  }

  /** A self-issued ID token for `audience`, its `token` claim the given access token (none: no claim). */
  const idTokenFor = (audience: string, accessToken?: string) =>
    createIdToken({ issuer: deps.did, keyId: jwtKey.keyId, privateKey: jwtKey.privateKey, audience, ...(accessToken ? { accessToken } : {}) });

  async function selfIssuedToken(audience: string, scopes: string[]): Promise<string> {
    return idTokenFor(audience, scopes.length > 0 ? await accessTokenFor(audience, scopes) : undefined);
  }

  return {
    signer,
    verifier,
    proofCache,
    statusChecker,
    resolveAuthenticationKey,
    jwtKey,
    selfIssuedToken,
    async authorizationFor(request) {
      if (request.accessToken) return `Bearer ${await idTokenFor(request.audienceDid, request.accessToken)}`;
      const scopes = request.scopes && request.scopes.length > 0 ? request.scopes : DEFAULT_SCOPES;
      return `Bearer ${await selfIssuedToken(request.audienceDid, scopes)}`;
    },
    async authenticate(authorization) {
      // RFC 6750 §2.1: the credentials are "Bearer" and the token; a bare token is not accepted (DCP TCK 5.3.1).
      const match = /^Bearer +([\w.~+/-]+=*)$/i.exec(authorization.trim());
      if (!match) throw new TokenError('malformed', 'the Authorization header must be "Bearer <self-issued ID token>"');
      const token = match[1]!;
      const claims = await verifyIdToken(token, { audience: deps.did, resolveKey: resolveAuthenticationKey, rememberTokenId: deps.rememberTokenId });
      return { did: claims.iss, tokenId: claims.jti, ...(claims.token ? { accessToken: claims.token } : {}) };
    },
    async checkAccessToken(accessToken, verifierDid) {
      const claims = await verifyIdToken(accessToken, { audience: deps.did, selfIssued: false, resolveKey: resolveAuthenticationKey });
      if (claims.iss !== deps.did) throw new TokenError('unknown_key', 'the access token was not issued by this connector');
      if (claims.sub !== verifierDid) throw new TokenError('wrong_audience', `the access token was issued to ${claims.sub}, not to ${verifierDid}`);
      return (claims.scope ?? '').split(' ').filter(Boolean);
    },
  };
}
