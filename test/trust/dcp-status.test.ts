import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startJoseParty, type JoseParty } from '../support/jose-party.ts';
import type { RunningConnector } from '../../connector/server.ts';

/**
 * Wallet hygiene with credentials as the DCP TCK and EDC issue them (profile vc11-sl2021/jwt: a VC-JWT 1.1
 * with a StatusList2021Entry, the list itself a JWT credential): the holder presents such a credential while
 * its bit is clear, and once the issuer sets it, marks it revoked and never presents it again.
 */

const DCP = 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld';
const TYPE = 'MembershipCredential';

describe('a credential revoked through a StatusList2021 list', () => {
  let holder: RunningConnector;
  let issuer: JoseParty;
  let verifier: JoseParty;
  const bits = new Uint8Array(16 * 1024);
  let listUrl: string;

  const presented = async (): Promise<string[]> => {
    const sts = await fetch(`${holder.url}/sts/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: holder.did,
        client_secret: holder.ctx.apiKey,
        audience: verifier.did,
        bearer_access_scope: `org.eclipse.dspace.dcp.vc.type:${TYPE}:read`,
      }),
    });
    const { decodeJwt } = await import('jose');
    const token = decodeJwt((await jsonOf(sts)).access_token).token as string;
    const response = await fetch(`${holder.url}/dcp/presentations/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await verifier.idToken(holder.did, { token })}`, 'content-type': 'application/json' },
      body: JSON.stringify({ '@context': [DCP], type: 'PresentationQueryMessage', scope: [`org.eclipse.dspace.dcp.vc.type:${TYPE}:read`] }),
    });
    expect(response.status, await response.clone().text()).toBe(200);
    return (decodeJwt((await jsonOf(response)).presentation[0]).vp as { verifiableCredential: string[] }).verifiableCredential;
  };

  beforeAll(async () => {
    issuer = await startJoseParty(async (req, res) => {
      if (req.url !== '/status/1') return void res.writeHead(404).end();
      const now = Math.floor(Date.now() / 1000);
      const list = await issuer.sign({
        iss: issuer.did,
        sub: `${listUrl}#list`,
        nbf: now - 5,
        iat: now - 5,
        jti: listUrl,
        vc: {
          '@context': ['https://www.w3.org/2018/credentials/v1', 'https://w3id.org/vc/status-list/2021/v1'],
          id: listUrl,
          type: ['VerifiableCredential', 'StatusList2021Credential'],
          issuer: issuer.did,
          issuanceDate: new Date((now - 5) * 1000).toISOString(),
          credentialSubject: { id: `${listUrl}#list`, type: 'StatusList2021', statusPurpose: 'revocation', encodedList: gzipSync(bits).toString('base64') },
        },
      });
      res.writeHead(200, { 'content-type': 'application/vc+jwt' }).end(list);
    });
    listUrl = `${issuer.url}/status/1`;
    verifier = await startJoseParty();
    holder = await startTestConnector({
      role: 'research-institute',
      name: 'sl2021-holder',
      jwtAlgorithm: 'ES256',
      presentationFormat: 'jwt',
      statusListCacheTtlSeconds: 0,
      trustedIssuers: [{ did: issuer.did, credentialTypes: [TYPE] }],
    });
    const credential = await issuer.issue(
      holder.did,
      TYPE,
      {},
      {
        credentialStatus: { id: `${listUrl}#42`, type: 'StatusList2021Entry', statusPurpose: 'revocation', statusListIndex: '42', statusListCredential: listUrl },
      },
    );
    const stored = await fetch(`${holder.url}/dcp/credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await issuer.idToken(holder.did)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        '@context': [DCP],
        type: 'CredentialMessage',
        issuerPid: 'i-1',
        holderPid: 'h-1',
        status: 'ISSUED',
        credentials: [{ credentialType: TYPE, format: 'vc1_0_jwt', payload: credential }],
      }),
    });
    expect(stored.status, await stored.clone().text()).toBe(200);
  });

  it('is presented while its bit is clear, then marked revoked and left out once the issuer sets it', async () => {
    expect(await presented()).toHaveLength(1);
    bits[42 >> 3]! |= 0x80 >> (42 % 8);
    expect(await presented()).toHaveLength(0);
    const { credentials } = await jsonOf(await managementFetch(holder, '/wallet/credentials'));
    expect(credentials).toEqual([expect.objectContaining({ types: ['VerifiableCredential', TYPE], status: 'revoked' })]);
    // Marked, not rechecked: clearing the bit again does not bring it back.
    bits[42 >> 3] = 0;
    expect(await presented()).toHaveLength(0);
  });
});
