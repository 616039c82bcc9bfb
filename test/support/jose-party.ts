import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { didWebFromUrl } from '../../connector/identity/did-web.ts';
import { startHostileServer } from '../security/attacker.ts';
import { presentationClaims } from '../../scripts/dcp-tck/parties.ts';

/**
 * A DCP participant built the way EDC IdentityHub and the DCP TCK build theirs, independent of this
 * connector's code: a did:web on a loopback port whose document lists one P-256 key as JsonWebKey2020
 * (`publicKeyJwk`, under authentication, assertionMethod and capabilityInvocation), JWTs signed ES256
 * with jose, credentials as VC-JWT 1.1 (`vc` claim), presentations as JWTs with a `vp` claim.
 */
export interface JoseParty {
  url: string;
  did: string;
  keyId: string;
  privateKey: KeyObject;
  /** A self-issued ID token (iss = sub = this party) for `audience`, optionally with extra claims and a 600 s life. */
  idToken(audience: string, claims?: Record<string, unknown>, options?: { lifetimeS?: number; kid?: string | null }): Promise<string>;
  /** A VC-JWT 1.1 credential from this party about `subject`. */
  issue(subject: string, type: string, claims?: Record<string, unknown>, options?: { expiresInS?: number; credentialStatus?: Record<string, unknown> }): Promise<string>;
  /** Any claims, signed ES256 with this party's key. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** A JWT presentation of `credentials` by this party for `audience`. */
  present(audience: string, credentials: string[], claims?: Record<string, unknown>): Promise<string>;
}

export type PartyRoutes = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** `services`: more DID document service entries, each at a path of the party's server (e.g. an IssuerService at `/is`). */
export async function startJoseParty(routes?: PartyRoutes, options: { services?: { type: string; path: string }[] } = {}): Promise<JoseParty> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let document: unknown;
  const server = await startHostileServer(async (req, res, body) => {
    if (req.url === '/.well-known/did.json') return void res.writeHead(200, { 'content-type': 'application/did+json' }).end(JSON.stringify(document));
    if (routes) return routes(req, res, body);
    res.writeHead(404).end();
  });
  const did = didWebFromUrl(server.url);
  const keyId = `${did}#key-es256`;
  document = {
    '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld'],
    id: did,
    verificationMethod: [{ id: keyId, type: 'JsonWebKey2020', controller: did, publicKeyJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'key-es256' } }],
    authentication: [keyId],
    assertionMethod: [keyId],
    capabilityInvocation: [keyId],
    service: [
      { id: `${did}#cs`, type: 'CredentialService', serviceEndpoint: `${server.url}/cs` },
      ...(options.services ?? []).map((s) => ({ id: `${did}#${s.type}`, type: s.type, serviceEndpoint: `${server.url}${s.path}` })),
    ],
  };
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (claims: Record<string, unknown>, kid: string | null = keyId) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', ...(kid ? { kid } : {}) }).sign(privateKey);

  return {
    url: server.url,
    did,
    keyId,
    privateKey,
    idToken: (audience, claims = {}, options = {}) =>
      sign({ iss: did, sub: did, aud: audience, jti: crypto.randomUUID(), iat: now(), exp: now() + (options.lifetimeS ?? 600), ...claims }, options.kid),
    issue: (subject, type, claims = {}, options = {}) =>
      sign({
        iss: did,
        sub: subject,
        jti: `urn:uuid:${crypto.randomUUID()}`,
        nbf: now() - 5,
        iat: now() - 5,
        ...(options.expiresInS !== undefined ? { exp: now() + options.expiresInS } : {}),
        vc: {
          '@context': ['https://www.w3.org/2018/credentials/v1'],
          type: ['VerifiableCredential', type],
          issuer: did,
          issuanceDate: new Date((now() - 5) * 1000).toISOString(),
          credentialSubject: { id: subject, ...claims },
          ...(options.credentialStatus ? { credentialStatus: options.credentialStatus } : {}),
        },
      }),
    sign: (claims) => sign(claims),
    present: (audience, credentials, claims = {}) => sign({ ...presentationClaims(did, audience, credentials), ...claims }),
  };
}
