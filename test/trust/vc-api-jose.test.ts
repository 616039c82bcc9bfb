import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startJoseParty, type JoseParty } from '../support/jose-party.ts';
import { signJws } from '../../contracts/credentials/id-token.ts';
import { ED25519_PUBLIC_HEADER, encodeMultikey } from '../../vocab/multikey.ts';
import type { RunningConnector } from '../../connector/server.ts';

/**
 * The VC-API verifying JOSE-secured presentations and credentials (VC-JOSE-COSE 1.0 §3.1): a VCDM 2.0
 * presentation as a vp+jwt (EdDSA, by a connector of this project) of vc+jwt credentials the authority
 * enveloped, and a VC-JWT 1.1 presentation (ES256, by a TCK/EDC-like party) of its JWT credentials, each as an
 * EnvelopedVerifiablePresentation or as the compact JWS, beside the Data Integrity ones.
 */

const V2 = 'https://www.w3.org/ns/credentials/v2';
const EXAMPLES = 'https://www.w3.org/ns/credentials/examples/v2';
const VP_PREFIX = 'data:application/vp+jwt,';

let authority: RunningConnector;
let holder: RunningConnector;
let party: JoseParty;
const post = async (path: string, body: unknown) => {
  const response = await fetch(`${authority.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await jsonOf(response) };
};
const verifyVp = (verifiablePresentation: unknown, options?: unknown) => post('/presentations/verify', { verifiablePresentation, ...(options ? { options } : {}) });
const enveloped = async () => {
  const issued = await fetch(`${authority.url}/credentials/issue`, {
    method: 'POST',
    headers: { authorization: `Bearer ${authority.ctx.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      credential: { '@context': [V2, EXAMPLES], type: ['VerifiableCredential'], credentialSubject: { id: holder.did, degree: 'MSc' } },
      options: { envelope: 'application/vc+jwt' },
    }),
  });
  return (await jsonOf(issued)).verifiableCredential;
};
/** A VCDM 2.0 presentation secured as vp+jwt by the holder connector's Ed25519 key (EdDSA) or its P-256 key (ES256). */
const vpJwt = (payload: Record<string, unknown>, alg: 'EdDSA' | 'ES256' = 'EdDSA') =>
  signJws(
    { '@context': [V2], type: ['VerifiablePresentation'], holder: holder.did, ...payload },
    { ...(alg === 'EdDSA' ? { keyId: holder.ctx.keyId, privateKey: holder.ctx.key.privateKey } : holder.ctx.trust.jwtKey), typ: 'vp+jwt', extraHeader: { cty: 'vp' } },
  );
const envelope = (jws: string) => ({ '@context': [V2], type: ['EnvelopedVerifiablePresentation'], id: `${VP_PREFIX}${jws}` });

beforeAll(async () => {
  authority = await startTestConnector({ role: 'governance-authority', name: 'jose-verifier', statusListCacheTtlSeconds: 0 });
  [holder, party] = await Promise.all([startTestConnector({ role: 'hospital', name: 'jose-holder', jwtAlgorithm: 'ES256' }), startJoseParty()]);
});

describe('VC-API POST /presentations/verify with vp+jwt (EdDSA, ES256) of vc+jwt credentials', () => {
  it('verifies an EnvelopedVerifiablePresentation and the same JWS given compact, bound to the challenge and domain', async () => {
    const jws = await vpJwt({ verifiableCredential: [await enveloped()], nonce: 'c-1', aud: 'https://verifier.example' });
    for (const presentation of [envelope(jws), jws]) {
      const { status, body } = await verifyVp(presentation, { challenge: 'c-1', domain: 'https://verifier.example' });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({ verified: true, errors: [] });
    }
    expect((await verifyVp(envelope(jws))).status).toBe(200);
  });

  it('verifies the same presentation signed ES256 with the holder’s P-256 key', async () => {
    const jws = await vpJwt({ verifiableCredential: [await enveloped()], nonce: 'c-3' }, 'ES256');
    expect(JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES256', typ: 'vp+jwt', cty: 'vp' });
    const { status, body } = await verifyVp(envelope(jws), { challenge: 'c-3' });
    expect(status, JSON.stringify(body)).toBe(200);
  });

  it('refuses another challenge or domain, a tampered signature, a holder that is not the signer, a bad envelope', async () => {
    const jws = await vpJwt({ verifiableCredential: [await enveloped()], nonce: 'c-2', aud: 'https://verifier.example' });
    expect((await verifyVp(envelope(jws), { challenge: 'other' })).body.errors[0].code).toBe('invalid_proof');
    expect((await verifyVp(envelope(jws), { challenge: 'c-2', domain: 'https://elsewhere.example' })).body.errors[0].code).toBe('invalid_proof');
    const [h, p, s] = jws.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
    expect((await verifyVp(envelope(tampered))).body.errors[0].code).toBe('invalid_proof');
    const impostor = await vpJwt({ holder: party.did, verifiableCredential: [await enveloped()] });
    expect((await verifyVp(envelope(impostor))).body.errors[0].code).toMatch(/unresolvable_key|wrong_holder/);
    const wrongType = { ...envelope(jws), id: `data:application/vc+jwt,${jws}` };
    expect((await verifyVp(wrongType)).body.errors[0]).toMatchObject({ code: 'malformed', message: expect.stringMatching(/application\/vp\+jwt/) });
    expect((await verifyVp('not-a-jws')).status).toBe(400);
  });

  it('refuses a presentation whose enveloped credential was revoked, or that expired', async () => {
    const credential = await enveloped();
    const payload = JSON.parse(Buffer.from(credential.id.split(',')[1].split('.')[1], 'base64url').toString());
    const revoked = await managementFetch(authority, `/credentials/${encodeURIComponent(payload.id)}/revoke`, { method: 'POST', body: JSON.stringify({ reason: 'test' }) });
    expect(revoked.status).toBe(200);
    expect((await verifyVp(envelope(await vpJwt({ verifiableCredential: [credential] })))).body.errors[0].code).toBe('revoked');
    const expired = await vpJwt({ verifiableCredential: [await enveloped()], exp: Math.floor(Date.now() / 1000) - 600 });
    expect((await verifyVp(expired)).body.errors[0].code).toBe('invalid_proof');
  });
});

describe('VC-API POST /presentations/verify with a VC-JWT 1.1 presentation (ES256, as EDC and the DCP TCK make them)', () => {
  it('verifies the vp claim of JWT credentials, enveloped or compact', async () => {
    const jws = await party.present('https://verifier.example', [await party.issue(party.did, 'MembershipCredential')], { nonce: 'n-1' });
    for (const presentation of [envelope(jws), jws]) {
      const { status, body } = await verifyVp(presentation, { challenge: 'n-1', domain: 'https://verifier.example' });
      expect(status, JSON.stringify(body)).toBe(200);
    }
    // Its issuer is not one the authority trusts: refused only when the caller asks for that check.
    expect((await verifyVp(jws, { checks: ['proof', 'issuer'] })).body.errors[0].code).toBe('untrusted_issuer');
  });
});

describe('VC-API POST /credentials/verify with a compact JWT credential', () => {
  it('verifies a vc+jwt (EdDSA) and a VC-JWT 1.1 (ES256) given as the JWS itself', async () => {
    const jws = (await enveloped()).id.slice('data:application/vc+jwt,'.length);
    expect((await post('/credentials/verify', { verifiableCredential: jws })).body).toMatchObject({ verified: true });
    expect((await post('/credentials/verify', { verifiableCredential: await party.issue(holder.did, 'MembershipCredential') })).body).toMatchObject({ verified: true });
    expect((await post('/credentials/verify', { verifiableCredential: `${jws.slice(0, -2)}xx` })).body.errors[0].code).toBe('invalid_proof');
  });

  it('checks an envelope’s own @context every time, also once its JWS verified before (the W3C suite’s negative case)', async () => {
    const envelope = await enveloped();
    expect((await post('/credentials/verify', { verifiableCredential: envelope })).status).toBe(200);
    for (const context of [[], EXAMPLES]) expect((await post('/credentials/verify', { verifiableCredential: { ...envelope, '@context': context } })).status).toBe(400);
  });
});

describe('VC-API POST /presentations/verify with the W3C VCDM 2.0 suite’s enveloped presentation shape', () => {
  /** A did:key of a fresh key, as the suite's fixture uses: Ed25519 (z6Mk…) or P-256 (zDn…, the compressed point). */
  const didKeyOf = (curve: 'Ed25519' | 'P-256') => {
    const { privateKey, publicKey } = curve === 'Ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const x = Buffer.from(jwk.x!, 'base64url');
    const multibase =
      curve === 'Ed25519'
        ? encodeMultikey(ED25519_PUBLIC_HEADER, x)
        : encodeMultikey(Uint8Array.of(0x80, 0x24), Buffer.concat([Uint8Array.of(Buffer.from(jwk.y!, 'base64url').at(-1)! & 1 ? 3 : 2), x]));
    const did = `did:key:${multibase}`;
    return { did, keyId: `${did}#${multibase}`, privateKey };
  };

  it('verifies data:application/jwt envelopes of a vp claim (EdDSA did:key) holding a vc claim (ES256 did:key), bound by nonce; refuses the suite’s negative cases', async () => {
    const issuer = didKeyOf('P-256');
    const holderKey = didKeyOf('Ed25519');
    const vc = await signJws(
      {
        iss: issuer.did,
        sub: 'did:example:alice',
        vc: { '@context': [V2], type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:alice', name: 'Alice' }, issuer: issuer.did },
      },
      { keyId: issuer.keyId, privateKey: issuer.privateKey, typ: 'JWT' },
    );
    const vp = await signJws(
      {
        iss: holderKey.did,
        aud: 'example.com',
        nonce: '123456789',
        vp: {
          '@context': [V2],
          type: ['VerifiablePresentation'],
          holder: holderKey.did,
          verifiableCredential: [{ '@context': V2, type: 'EnvelopedVerifiableCredential', id: `data:application/jwt,${vc}` }],
        },
      },
      { keyId: holderKey.keyId, privateKey: holderKey.privateKey, typ: 'JWT' },
    );
    const presentation = { '@context': V2, type: 'EnvelopedVerifiablePresentation', id: `data:application/jwt,${vp}` };
    const accepted = await verifyVp(presentation, { challenge: '123456789' });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    for (const negative of [
      { ...presentation, '@context': [] },
      { ...presentation, '@context': [EXAMPLES] },
      { ...presentation, id: vp },
      { ...presentation, type: ['VerifiablePresentation'] },
    ])
      expect((await verifyVp(negative, { challenge: '123456789' })).status, JSON.stringify(negative).slice(0, 80)).toBe(400);
  });
});
