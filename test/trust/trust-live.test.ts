import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { admit, collectCredentials, grantPermit, onboard, startTrio, type Trio } from '../support/dataspace.ts';
import { requireCaller } from '../../connector/trust/caller-auth.ts';
import { fetchCallerCredentials } from '../../connector/trust/presentation-client.ts';
import { scopeForType } from '../../connector/trust/scopes.ts';
import type { RunningConnector } from '../../connector/server.ts';

const PARTICIPANT = scopeForType('ParticipantCredential');
const PERMIT = scopeForType('DataPermitCredential');

/**
 * A route on the hospital that authenticates its caller and asks the caller's credential service for
 * participant credential and data permit, exactly as a DSP endpoint with a policy does.
 */
function addClaimsProbe(hospital: RunningConnector): void {
  hospital.app.get(
    '/probe/claims',
    requireCaller(hospital.ctx.trust, (c, reason) => c.json({ reason }, 401)),
    async (c) => {
      const scopes = (c.req.query('scopes') ?? `${PARTICIPANT} ${PERMIT}`).split(' ');
      return c.json(await fetchCallerCredentials(hospital.ctx, c.get('caller'), scopes, { requireAll: c.req.query('all') === '1' }));
    },
  );
}

/** The VC-API verification at `verifier`, with every check, the dataspace's issuer trust included. */
async function verifyAt(verifier: RunningConnector, credential: unknown) {
  const response = await fetch(`${verifier.url}/credentials/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ verifiableCredential: credential, options: { checks: ['proof', 'issuer', 'validity', 'status'] } }),
  });
  return { status: response.status, body: await jsonOf(response) };
}

async function walletCredential(member: RunningConnector, type: string): Promise<any> {
  const { credentials } = await jsonOf(await managementFetch(member, '/wallet/credentials'));
  const summary = credentials.find((c: any) => c.types.includes(type));
  return jsonOf(await managementFetch(member, `/wallet/credentials/${encodeURIComponent(summary.id)}`));
}

describe('credentials issued, presented and verified across live connectors', () => {
  let trio: Trio;
  beforeAll(async () => {
    trio = await startTrio();
    addClaimsProbe(trio.hospital);
    await onboard(trio);
  });

  it('the institute holds a participant credential and a data permit, each with a revocation status entry', async () => {
    const { credentials } = await jsonOf(await managementFetch(trio.institute, '/wallet/credentials'));
    expect(credentials.map((c: any) => c.types[1]).sort()).toEqual(['DataPermitCredential', 'ParticipantCredential']);
    const permit = await walletCredential(trio.institute, 'DataPermitCredential');
    expect(permit.issuer).toBe(trio.authority.did);
    expect(permit.credentialSubject).toMatchObject({ id: trio.institute.did, purposes: ['scientific-research'], permitIssued: true });
    expect(permit.credentialStatus).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
    expect(permit.proof).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod' });
  });

  it('the hospital authenticates the institute and verifies the presentation its credential service gives', async () => {
    const response = await trio.institute.ctx.dspFetch({ url: `${trio.hospital.url}/probe/claims`, audienceDid: trio.hospital.did, scopes: [PARTICIPANT, PERMIT] });
    const result = await jsonOf(response);
    expect(result.verified, JSON.stringify(result)).toBe(true);
    expect(result.holder).toBe(trio.institute.did);
    expect(result.credentials.map((c: any) => c.type[1]).sort()).toEqual(['DataPermitCredential', 'ParticipantCredential']);
  });

  it('the credential service gives only what the access token grants', async () => {
    const ask = (all: string) =>
      trio.institute.ctx.dspFetch({
        url: `${trio.hospital.url}/probe/claims?all=${all}&scopes=${encodeURIComponent(`${PARTICIPANT} ${PERMIT}`)}`,
        audienceDid: trio.hospital.did,
        scopes: [PARTICIPANT],
      });
    // DCP 1.0 §5.4.1.2: the credential service presents the granted part (the DCP TCK's scope escalation case).
    const granted = await jsonOf(await ask('0'));
    expect(granted.verified, JSON.stringify(granted)).toBe(true);
    expect(granted.credentials.map((c: any) => c.type[1])).toEqual(['ParticipantCredential']);
    // A verifier that needs every requested credential (DCP 1.0 §5.4.2) refuses a presentation that lacks one.
    expect(await jsonOf(await ask('1'))).toMatchObject({
      verified: false,
      code: 'missing_credential',
      message: 'the presentation lacks a requested credential: DataPermitCredential',
    });
  });

  it('refuses a replayed ID token', async () => {
    const authorization = await trio.institute.ctx.trust.authorizationFor({ audienceDid: trio.hospital.did });
    const first = await fetch(`${trio.hospital.url}/probe/claims?scopes=${encodeURIComponent(PARTICIPANT)}`, { headers: { authorization } });
    expect(first.status).toBe(200);
    const again = await fetch(`${trio.hospital.url}/probe/claims?scopes=${encodeURIComponent(PARTICIPANT)}`, { headers: { authorization } });
    expect(again.status).toBe(401);
    expect((await jsonOf(again)).reason).toMatch(/^replayed:/);
  });

  it('refuses a token made for another audience', async () => {
    const authorization = await trio.institute.ctx.trust.authorizationFor({ audienceDid: trio.authority.did });
    const response = await fetch(`${trio.hospital.url}/probe/claims`, { headers: { authorization } });
    expect(response.status).toBe(401);
    expect((await jsonOf(response)).reason).toMatch(/^wrong_audience:/);
  });

  it('refuses a call without a token', async () => {
    const response = await fetch(`${trio.hospital.url}/probe/claims`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/Bearer/);
  });

  it('a tampered credential fails its proof', async () => {
    const permit = await walletCredential(trio.institute, 'DataPermitCredential');
    permit.credentialSubject.purposes = ['scientific-research', 'commercial-product-development'];
    const { status, body } = await verifyAt(trio.hospital, permit);
    expect(status).toBe(400);
    expect(body.errors[0].code).toBe('invalid_proof');
  });

  it('a credential from an issuer the verifier does not trust is refused', async () => {
    const rogue = await startTestConnector({ role: 'governance-authority', name: 'rogue-authority' });
    await admit(rogue, trio.institute, 'research-institute');
    const issued = await jsonOf(await managementFetch(rogue, `/credentials?subject=${encodeURIComponent(trio.institute.did)}`));
    expect(issued.credentials).toHaveLength(1);
    const full = (await rogue.ctx.database.db.selectFrom('issued_credentials').select('credential').where('id', '=', issued.credentials[0].id).executeTakeFirstOrThrow())
      .credential;
    const { status, body } = await verifyAt(trio.hospital, JSON.parse(full));
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 'untrusted_issuer' });
  });

  it('an expired credential is refused', async () => {
    const response = await fetch(`${trio.authority.url}/credentials/issue`, {
      method: 'POST',
      headers: { authorization: `Bearer ${trio.authority.ctx.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2', 'https://w3id.org/health-dataspace-connector/v1'],
          type: ['VerifiableCredential', 'DataPermitCredential'],
          validFrom: '2024-01-01T00:00:00Z',
          validUntil: '2025-01-01T00:00:00Z',
          credentialSubject: { id: trio.institute.did, permitId: 'p-old', projectId: 'old', purposes: ['scientific-research'], healthCategories: ['diabetes'], permitIssued: true },
        },
      }),
    });
    expect(response.status, await response.clone().text()).toBe(201);
    const { verifiableCredential } = await jsonOf(response);
    const { status, body } = await verifyAt(trio.hospital, verifiableCredential);
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 'expired' });
  });

  it('a revoked credential is refused, in a presentation too', async () => {
    const permit = await grantPermit(trio.authority, trio.institute, { projectId: 'to-be-revoked' });
    await collectCredentials(trio.institute, trio.authority);
    const held = await jsonOf(await managementFetch(trio.institute, `/wallet/credentials/${encodeURIComponent(permit.id)}`));
    expect((await verifyAt(trio.hospital, held)).status).toBe(200);
    const revoke = await managementFetch(trio.authority, `/credentials/${encodeURIComponent(permit.id)}/revoke`, {
      method: 'POST',
      body: JSON.stringify({ reason: 'project cancelled' }),
    });
    expect(revoke.status).toBe(200);
    expect((await jsonOf(revoke)).revokedAt).toBeTruthy();
    const { status, body } = await verifyAt(trio.hospital, held);
    expect(status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 'revoked' });
    // The institute's wallet no longer presents it, and marks it revoked.
    const presented = await jsonOf(await trio.institute.ctx.dspFetch({ url: `${trio.hospital.url}/probe/claims`, audienceDid: trio.hospital.did, scopes: [PARTICIPANT, PERMIT] }));
    expect(presented.verified, JSON.stringify(presented)).toBe(true);
    expect(presented.presented.map((c: any) => c.id)).not.toContain(permit.id);
    const { credentials } = await jsonOf(await managementFetch(trio.institute, '/wallet/credentials'));
    expect(credentials.find((c: any) => c.id === permit.id)).toMatchObject({ status: 'revoked' });
    // A presentation that still carries it, as a careless wallet would make, is refused by the verifier.
    const { signPresentation } = await import('../../contracts/credentials/proofs.ts');
    const careless = await signPresentation({
      credentials: [held],
      signer: trio.institute.ctx.trust.signer,
      challenge: 'c-1',
      domain: trio.hospital.did,
      documentLoader: trio.institute.ctx.documentLoader,
    });
    expect(await trio.hospital.ctx.trust.verifier.verifyPresentation(careless, { challenge: 'c-1', domain: trio.hospital.did })).toMatchObject({
      verified: false,
      code: 'revoked',
      credentialId: permit.id,
    });
    await trio.institute.ctx.wallet.remove(permit.id);
  });

  it('a credential about someone else is refused when the institute presents it', async () => {
    const hospitalCredential = await walletCredential(trio.hospital, 'ParticipantCredential');
    const check = await trio.institute.ctx.trust.verifier.verifyCredential(hospitalCredential, { holder: trio.institute.did });
    expect(check).toMatchObject({ verified: false, code: 'wrong_holder' });
    const imported = await managementFetch(trio.institute, '/wallet/credentials', { method: 'POST', body: JSON.stringify({ verifiableCredential: hospitalCredential }) });
    expect(imported.status).toBe(422);
    expect((await jsonOf(imported)).error.code).toBe('credential_wrong_holder');
  });

  it('a presentation whose holder is not the caller is refused', async () => {
    const presentation = await (await import('../../contracts/credentials/proofs.ts')).signPresentation({
      credentials: [await walletCredential(trio.hospital, 'ParticipantCredential')],
      signer: trio.hospital.ctx.trust.signer,
      challenge: 'c-1',
      domain: trio.authority.did,
      documentLoader: trio.hospital.ctx.documentLoader,
    });
    const result = await trio.authority.ctx.trust.verifier.verifyPresentation(presentation, { challenge: 'c-1', domain: trio.authority.did, expectedHolder: trio.institute.did });
    expect(result).toMatchObject({ verified: false, code: 'wrong_holder' });
    const honest = await trio.authority.ctx.trust.verifier.verifyPresentation(presentation, { challenge: 'c-1', domain: trio.authority.did, expectedHolder: trio.hospital.did });
    expect(honest.verified).toBe(false); // the authority does not trust itself as issuer: no trustedIssuers configured
    const otherChallenge = await trio.hospital.ctx.trust.verifier.verifyPresentation(presentation, { challenge: 'c-2', domain: trio.authority.did });
    expect(otherChallenge).toMatchObject({ verified: false, code: 'invalid_proof' });
  });

  it('a credential with a context the connector does not bundle is refused, naming the URL', async () => {
    const permit = await walletCredential(trio.institute, 'ParticipantCredential');
    permit['@context'] = [...permit['@context'], 'https://example.org/unknown-context/v1'];
    const { status, body } = await verifyAt(trio.hospital, permit);
    expect(status).toBe(400);
    expect(body.errors[0].code).toBe('unknown_context');
    expect(body.errors[0].message).toContain('https://example.org/unknown-context/v1');
  });

  it('the member registry lists the admitted participants publicly', async () => {
    const { members } = await jsonOf(await fetch(`${trio.authority.url}/registry/members`));
    expect(members.map((m: any) => m.did)).toEqual(expect.arrayContaining([trio.hospital.did, trio.institute.did]));
    expect(members.find((m: any) => m.did === trio.hospital.did)).toMatchObject({ role: 'hospital', dspAddress: `${trio.hospital.url}/dsp/2025-1`, status: 'active' });
  });
});

describe('status that cannot be checked', () => {
  it('is "cannot verify", never "valid", when the authority is down', async () => {
    const trio = await startTrio();
    await onboard(trio);
    const permit = await walletCredential(trio.institute, 'DataPermitCredential');
    expect((await verifyAt(trio.hospital, permit)).status).toBe(200);
    await trio.authority.close();
    const { status, body } = await verifyAt(trio.hospital, permit);
    expect(status).toBe(400);
    expect(body.errors[0].code).toBe('status_unavailable');
  });
});
