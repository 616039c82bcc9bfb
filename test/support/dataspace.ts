import { expect } from 'vitest';
import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch, startTestConnector, type TestConnectorOptions } from './connectors.ts';
import { jsonOf } from './http.ts';

export interface Trio {
  authority: RunningConnector;
  hospital: RunningConnector;
  institute: RunningConnector;
}

/**
 * A governance authority, a hospital and a research institute, live on loopback, the two participants
 * trusting the authority for participant credentials and data permits. Status lists are not cached, so a
 * revocation shows at once.
 */
export async function startTrio(options: { hospital?: TestConnectorOptions; institute?: TestConnectorOptions } = {}): Promise<Trio> {
  const authority = await startTestConnector({ role: 'governance-authority', name: 'test-authority' });
  const trustedIssuers = [{ did: authority.did, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }];
  const [hospital, institute] = await Promise.all([
    startTestConnector({ role: 'hospital', name: 'test-hospital', trustedIssuers, statusListCacheTtlSeconds: 0, ...options.hospital }),
    startTestConnector({ role: 'research-institute', name: 'test-institute', trustedIssuers, statusListCacheTtlSeconds: 0, ...options.institute }),
  ]);
  return { authority, hospital, institute };
}

const LEGAL: Record<string, { legalName: string; registrationNumber: { kind: string; value: string } }> = {
  hospital: { legalName: 'Centre Hospitalier Test', registrationNumber: { kind: 'vatID', value: 'LU12345678' } },
  'research-institute': { legalName: 'Institute of Health Research Test', registrationNumber: { kind: 'leiCode', value: '222100TESTLEI0000001' } },
};

/** The authority admits `member`; returns the issued ParticipantCredential's record. */
export async function admit(
  authority: RunningConnector,
  member: Pick<RunningConnector, 'did' | 'url'> & { ctx?: { config: { name: string } } },
  role: 'hospital' | 'research-institute',
): Promise<any> {
  const name = member.ctx?.config.name ?? `Participant ${member.did}`;
  const response = await managementFetch(authority, '/members', {
    method: 'POST',
    body: JSON.stringify({ did: member.did, name, role, dspAddress: `${member.url}/dsp/2025-1`, headquartersCountry: 'LU', ...LEGAL[role] }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return (await jsonOf(response)).credential;
}

/** The authority grants `holder` a data permit for diabetes research; returns the issued record. */
export async function grantPermit(authority: RunningConnector, holder: RunningConnector, overrides: Record<string, unknown> = {}): Promise<any> {
  const response = await managementFetch(authority, '/permits', {
    method: 'POST',
    body: JSON.stringify({
      holder: holder.did,
      projectId: 'diabetes-2026',
      purposes: ['scientific-research'],
      healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
      validUntil: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      ...overrides,
    }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return jsonOf(response);
}

/** `member` collects its credentials from the authority into its wallet. */
export async function collectCredentials(member: RunningConnector, authority: RunningConnector): Promise<any> {
  const response = await managementFetch(member, '/wallet/request', { method: 'POST', body: JSON.stringify({ authorityDid: authority.did }) });
  expect(response.status, await response.clone().text()).toBe(200);
  return jsonOf(response);
}

/** Admits both participants, grants the institute a permit, and lets both collect their credentials. */
export async function onboard(trio: Trio): Promise<{ permit: any }> {
  await admit(trio.authority, trio.hospital, 'hospital');
  await admit(trio.authority, trio.institute, 'research-institute');
  const permit = await grantPermit(trio.authority, trio.institute);
  await Promise.all([collectCredentials(trio.hospital, trio.authority), collectCredentials(trio.institute, trio.authority)]);
  return { permit };
}
