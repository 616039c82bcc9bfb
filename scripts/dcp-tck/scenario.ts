import { ScenarioFailure } from '../tck/replay/jsonld.ts';
import type { DcpTckSettings } from './settings.ts';
import type { TckServer } from './tck-server.ts';

export { ScenarioFailure };

/** The four test packages of the DCP TCK (its README §1.1), by the system under test. */
export type Group = 'presentation.cs' | 'issuance.cs' | 'presentation.verifier' | 'issuance.issuer';

/** What a scenario gets: the DIDs of its roles (the system under test's from the properties, the TCK's own otherwise). */
export interface DcpContext {
  settings: DcpTckSettings;
  tck: TckServer;
  holderDid: string;
  verifierDid: string;
  issuerDid: string;
  thirdPartyDid: string;
  /** @AuthToken: an access token for the verifier, from the holder's STS (or the TCK's embedded one). */
  accessToken(scopes: string[]): Promise<string>;
  /** @IssueCredentials: a MembershipCredential and a SensitiveDataCredential for the holder (a CredentialMessage). */
  issueCredentials(): Promise<void>;
}

export interface Scenario {
  group: Group;
  /** The TCK's test method name, e.g. cs_04_03_03_idTokenInvalidSub. */
  id: string;
  /** Its @DisplayName. */
  title: string;
  run(ctx: DcpContext): Promise<void>;
}

/** Builds a group's scenarios from [method, display name, (optional) @IssueCredentials, body]. */
export function scenarios(group: Group, rows: [string, string, boolean, (ctx: DcpContext) => Promise<void>][]): Scenario[] {
  return rows.map(([id, title, issue, body]) => ({
    group,
    id,
    title,
    run: async (ctx) => {
      if (issue) await ctx.issueCredentials();
      await body(ctx);
    },
  }));
}

/** TestFixtures#assert4xxCode (a 4xx; the replay does not count a 500 as one). */
export async function expect4xx(response: Response | Promise<Response>): Promise<void> {
  const r = await response;
  const text = await r.text();
  if (process.env.DCP_TCK_DEBUG) console.error(`answer ${r.status} ${text.slice(0, 400)}`);
  if (r.status < 400 || r.status > 499) throw new ScenarioFailure(`Expected a 4xx client error HTTP code but got ${r.status} ${text.slice(0, 200)}`);
}

export async function expect2xx(response: Response | Promise<Response>): Promise<string> {
  const r = await response;
  const text = await r.text();
  if (r.status < 200 || r.status > 299) throw new ScenarioFailure(`Expected a 2xx HTTP code but got ${r.status} ${text.slice(0, 300)}`);
  return text;
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new ScenarioFailure(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export const postJson = (url: string, body: unknown, authorization?: string) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization !== undefined ? { authorization } : {}) }, body: JSON.stringify(body) });

export const dcpMessage = (type: string, fields: Record<string, unknown> = {}) => ({ '@context': ['https://w3id.org/dspace-dcp/v1.0/dcp.jsonld'], type, ...fields });
