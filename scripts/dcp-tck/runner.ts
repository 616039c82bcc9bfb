import { credential, credentialJwt, MEMBERSHIP, SENSITIVE_DATA } from './parties.ts';
import { printOutcome } from '../tck/cli.ts';
import { credentialMessage, ISSUANCE_CS } from './issuance-cs.ts';
import { ISSUANCE_ISSUER } from './issuance-issuer.ts';
import { PRESENTATION_CS } from './presentation-cs.ts';
import { PRESENTATION_VERIFIER } from './presentation-verifier.ts';
import { ScenarioFailure, postJson, type DcpContext, type Group, type Scenario } from './scenario.ts';
import { tckDid, type DcpTckSettings } from './settings.ts';
import { startTckServer, type TckServer } from './tck-server.ts';
import { serviceEndpoint } from './tokens.ts';

/** The 85 active scenarios of the DCP TCK, by test package, in the TCK's order. */
export const DCP_SCENARIOS: Scenario[] = [...PRESENTATION_CS, ...ISSUANCE_CS, ...PRESENTATION_VERIFIER, ...ISSUANCE_ISSUER];
export const GROUPS: Group[] = ['presentation.cs', 'issuance.cs', 'presentation.verifier', 'issuance.issuer'];

export interface DcpReplayResult {
  passed: string[];
  failed: { id: string; message: string }[];
  /** Per group: [passed, failed]. */
  groups: Partial<Record<Group, [number, number]>>;
}

const SCOPE = /^org\.eclipse\.dspace\.dcp\.vc\.type:(.*):(.*)$/;

/** The holder's STS (SecureTokenServerImpl#requestRemoteAccessToken): a client credentials grant; the `token` claim. */
async function stsAccessToken(settings: DcpTckSettings, audience: string, scopes: string[]): Promise<string> {
  if (!settings.sts) throw new ScenarioFailure('the presentation.cs tests need dataspacetck.sts.url, .client.id and .client.secret');
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: settings.sts.clientId,
    client_secret: settings.sts.clientSecret,
    audience,
    bearer_access_scope: scopes.join(' '),
  });
  const response = await fetch(`${settings.sts.url}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  if (!response.ok) throw new ScenarioFailure(`the STS answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  const { access_token } = (await response.json()) as { access_token?: string };
  const claims = JSON.parse(Buffer.from(String(access_token).split('.')[1] ?? '', 'base64url').toString('utf8'));
  if (typeof claims.token !== 'string') throw new ScenarioFailure('the STS token has no "token" claim');
  return claims.token;
}

/** The roles of one group: the system under test's DID where the group tests it, the TCK's own parties elsewhere. */
function contextFor(group: Group, settings: DcpTckSettings, tck: TckServer): DcpContext {
  const sut = (did: string | undefined, key: string) => {
    if (!did) throw new ScenarioFailure(`the ${group} tests need dataspacetck.${key}`);
    return did;
  };
  const own = (role: 'holder' | 'verifier' | 'issuer') => tckDid(settings.callbackAddress, role);
  const holderDid = group === 'presentation.cs' || group === 'issuance.cs' ? sut(settings.holderDid, 'did.holder') : own('holder');
  const verifierDid = group === 'presentation.verifier' ? sut(settings.verifierDid, 'did.verifier') : own('verifier');
  const issuerDid = group === 'issuance.issuer' ? sut(settings.issuerDid, 'did.issuer') : own('issuer');
  const ctx: DcpContext = {
    settings,
    tck,
    holderDid,
    verifierDid,
    issuerDid,
    thirdPartyDid: tckDid(settings.callbackAddress, 'thirdparty'),
    // The verifier tests use the TCK's embedded STS (no dataspacetck.sts.url in that run); the others the holder's.
    accessToken: (scopes) =>
      group === 'presentation.verifier'
        ? Promise.resolve(
            tck.readToken(
              verifierDid,
              scopes.map((s) => SCOPE.exec(s)?.[1] ?? s),
            ),
          )
        : stsAccessToken(settings, verifierDid, scopes),
    async issueCredentials() {
      if (group === 'presentation.verifier') {
        for (const type of [MEMBERSHIP, SENSITIVE_DATA]) tck.held.push({ type, jwt: await credentialJwt(tck.parties.issuer, credential(issuerDid, holderDid, type)) });
        return;
      }
      const issuer = tck.parties.issuer;
      const now = Math.floor(Date.now() / 1000);
      const token = await issuer.sign({ iss: issuerDid, sub: issuerDid, aud: holderDid, jti: crypto.randomUUID(), iat: now, exp: now + 600 });
      const response = await postJson(
        `${await serviceEndpoint(holderDid, 'CredentialService')}/credentials`,
        await credentialMessage(ctx, settings.correlationId),
        `Bearer ${token}`,
      );
      if (!response.ok) throw new ScenarioFailure(`Failed to seed credentials: ${response.status} ${(await response.text()).slice(0, 300)}`);
    },
  };
  return ctx;
}

/**
 * Plays the DCP TCK's side of every selected scenario against the systems the settings name, with the
 * TCK's server at dataspacetck.callback.address, and prints per scenario what the TCK's console shows.
 */
export async function runDcpReplay(settings: DcpTckSettings, options: { groups?: Group[]; only?: string[]; print?: (line: string) => void } = {}): Promise<DcpReplayResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const tck = await startTckServer(settings.callbackAddress, settings.keys);
  const result: DcpReplayResult = { passed: [], failed: [], groups: {} };
  const groups = options.groups ?? GROUPS;
  print('Running DCP TCK 1.0 (replay)');
  try {
    for (const scenario of DCP_SCENARIOS) {
      if (!groups.includes(scenario.group) || (options.only?.length && !options.only.some((o) => scenario.id.includes(o)))) continue;
      const id = `${scenario.group}:${scenario.id}`;
      const tally = result.groups[scenario.group] ?? [0, 0];
      result.groups[scenario.group] = tally;
      print(`Started: ${id}: ${scenario.title}`);
      try {
        await scenario.run(contextFor(scenario.group, settings, tck));
        result.passed.push(id);
        tally[0]++;
        print(`SUCCESSFUL: ${id}`);
      } catch (error) {
        result.failed.push({ id, message: (error as Error).message });
        tally[1]++;
        print(`FAILED: ${id}`);
      } finally {
        tck.reset();
      }
    }
  } finally {
    await tck.close();
  }
  for (const [group, [passed, failed]] of Object.entries(result.groups)) print(`${group}: ${passed} passed, ${failed} failed of ${passed + failed}`);
  printOutcome(print, result, 'All tests passed');
  return result;
}
