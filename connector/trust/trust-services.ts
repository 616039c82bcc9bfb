import { createPublicKey, type KeyObject } from 'node:crypto';
import type { ConnectorConfig } from '../config.ts';
import type { DidResolverService } from '../identity/did-resolver.ts';
import type { IdentityKey } from '../identity/keys.ts';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import type { DspRequest } from '../http/dsp-client.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';
import { createProofSigner, type ProofSigner } from '../../contracts/credentials/proofs.ts';
import { createCredentialVerifier, ProofCache, type CredentialVerifier } from '../../contracts/credentials/verifier.ts';
import { createIdToken, signJwt, TokenError, verifyIdToken, type IdTokenClaims } from '../../contracts/credentials/id-token.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { createStatusChecker } from './status-lists.ts';
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

export interface TrustServices {
  signer: ProofSigner;
  verifier: CredentialVerifier;
  proofCache: ProofCache;
  statusChecker: ReturnType<typeof createStatusChecker>;
  /** The Authorization header for an outgoing peer request: a self-issued ID token for its audience. */
  authorizationFor(request: Pick<DspRequest, 'audienceDid' | 'scopes'>): string;
  /** Verifies an incoming Authorization header (replays refused); throws TokenError. */
  authenticate(authorization: string): Promise<Caller>;
  /** Verifies an access token this connector minted for `verifierDid`; returns its scopes. Throws TokenError. */
  checkAccessToken(accessToken: string, verifierDid: string): Promise<string[]>;
  /** The public key of a verification method, resolved through the DID document (authentication). */
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
  const verifier = createCredentialVerifier({ documentLoader: deps.documentLoader, trustedIssuers: deps.config.trustedIssuers, checkStatus: statusChecker, proofCache });

  const keys = new Map<string, KeyObject>();
  async function resolveAuthenticationKey(keyId: string): Promise<KeyObject> {
    const method = await deps.didResolver.verificationMethod(keyId, 'authentication');
    const multibase = (method as { publicKeyMultibase?: string }).publicKeyMultibase;
    if (method.type !== 'Multikey' || !multibase) throw new Error(`${keyId} is not an Ed25519 Multikey`);
    let key = keys.get(multibase);
    if (!key) {
      const x = Buffer.from(decodeMultikey(multibase, ED25519_PUBLIC_HEADER)).toString('base64url');
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
      keys.set(multibase, key);
    }
    return key;
  }

  /** An access token for our own credential service, usable by `verifierDid` for `scopes` only. */
  function accessTokenFor(verifierDid: string, scopes: string[]): string {
    const iat = Math.floor(Date.now() / 1000);
    const claims: IdTokenClaims = { iss: deps.did, sub: verifierDid, aud: deps.did, iat, exp: iat + ACCESS_TOKEN_LIFETIME_S, jti: crypto.randomUUID(), scope: scopes.join(' ') };
    return signJwt(claims, deps.keyId, deps.key.privateKey);
  }

  return {
    signer,
    verifier,
    proofCache,
    statusChecker,
    resolveAuthenticationKey,
    authorizationFor(request) {
      const scopes = request.scopes && request.scopes.length > 0 ? request.scopes : DEFAULT_SCOPES;
      const token = createIdToken({
        issuer: deps.did,
        keyId: deps.keyId,
        privateKey: deps.key.privateKey,
        audience: request.audienceDid,
        accessToken: accessTokenFor(request.audienceDid, scopes),
      });
      return `Bearer ${token}`;
    },
    async authenticate(authorization) {
      const token = authorization.replace(/^Bearer\s+/i, '').trim();
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
