import { now, p256 } from './parties.ts';
import { dcpMessage, expect2xx, expect4xx, postJson, scenarios, ScenarioFailure, type DcpContext, type Scenario } from './scenario.ts';
import { serviceEndpoint } from './tokens.ts';

/**
 * issuance.issuer (EndpointDiscoveryTest, IssuerMetadataTest, CredentialRequestTest, CredentialRequestStatusTest):
 * the TCK is the holder; it reads the issuer's metadata, requests every credential offered in the
 * `vc11-sl2021/jwt` profile, expects the CredentialMessage at its Storage API, and asks for the request's status.
 */
type Claims = Record<string, unknown>;
const claims = (ctx: DcpContext, overrides: Claims = {}): Claims => ({
  aud: ctx.issuerDid,
  iss: ctx.holderDid,
  sub: ctx.holderDid,
  jti: crypto.randomUUID(),
  iat: now(),
  exp: now() + 600,
  ...overrides,
});
const token = (ctx: DcpContext, overrides: Claims = {}) => ctx.tck.parties.holder.sign(claims(ctx, overrides));
const issuerService = (ctx: DcpContext) => serviceEndpoint(ctx.issuerDid, 'IssuerService');

/** AbstractCredentialIssuanceTest#createCredentialRequestMessage: the ids of the metadata's vc11-sl2021/jwt objects. */
async function requestMessage(ctx: DcpContext, holderPid: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${await issuerService(ctx)}/metadata`, { headers: { authorization: `Bearer ${await token(ctx)}` } });
  if (!response.ok) throw new ScenarioFailure(`Expected IssuerMetadata to return 200 OK, but got ${response.status}`);
  const metadata = (await response.json()) as { credentialsSupported?: { id: string; profile?: string }[] };
  const ids = (metadata.credentialsSupported ?? []).filter((c) => c.profile === 'vc11-sl2021/jwt').map((c) => ({ id: c.id }));
  return dcpMessage('CredentialRequestMessage', { holderPid, credentials: ids });
}

const request = async (ctx: DcpContext, body: unknown, authorization?: string) => postJson(`${await issuerService(ctx)}/credentials`, body, authorization);

/** CredentialRequestStatusTest#requestCredentials: a 2xx with a Location; the id is its last path segment. */
async function requestCredentials(ctx: DcpContext): Promise<string> {
  const response = await request(ctx, await requestMessage(ctx, ctx.settings.correlationId), `Bearer ${await token(ctx)}`);
  await expect2xx(response.clone());
  const location = response.headers.get('location');
  if (!location) throw new ScenarioFailure('the answer has no Location header');
  return location.slice(location.lastIndexOf('/') + 1);
}

const status = async (ctx: DcpContext, id: string, authorization?: string) =>
  fetch(`${await issuerService(ctx)}/requests/${id}`, { headers: authorization === undefined ? {} : { authorization } });

/** Awaitility's untilAsserted: `check` until it holds or `ms` pass; then `what()` says why. */
const until = async (what: () => string, check: () => Promise<boolean>, ms: number, every: number) => {
  for (const deadline = Date.now() + ms; ; ) {
    if (await check()) return;
    if (Date.now() > deadline) throw new ScenarioFailure(what());
    await new Promise((resolve) => setTimeout(resolve, every));
  }
};

/** A wrong signing key: a fresh P-256 key presented under the holder's kid. */
const spoofed = (ctx: DcpContext) => ctx.tck.parties.holder.sign(claims(ctx), { privateKey: p256().privateKey, kid: ctx.tck.parties.holder.keyId });

/** The token variants both request tests refuse, as [method suffix, display, token]. */
const badTokens: [string, string, (ctx: DcpContext) => Promise<string>][] = [
  ['tokenSignedWithWrongKey', 'an invalid token - wrong signature', spoofed],
  ['tokenExpired', 'an invalid token - expired', (ctx) => token(ctx, { exp: now() - 60 })],
  ['iatInFuture', 'an invalid token - iat in future', (ctx) => token(ctx, { iat: now() + 60 })],
  ['nbfViolated', 'an invalid token - nbf in future', (ctx) => token(ctx, { nbf: now() + 60 })],
  ['invalidAud', 'an invalid token - incorrect aud', (ctx) => token(ctx, { aud: ctx.thirdPartyDid })],
  ['issNotEqualSub', 'an invalid token - iss != sub', (ctx) => token(ctx, { iss: ctx.thirdPartyDid })],
];
const REQUEST_NUMBERS = ['6.4.5', '6.4.6', '6.4.7', '6.4.8', '6.4.9', '6.4.10'];
const REQUEST_IDS = ['is_6_4_5', 'is_6_4_6', 'is_6_4_7', 'is_6_4_8', 'is_6_4_8', 'is_6_4_10'];
const STATUS_NUMBERS = ['6.8.5', '6.8.6', '6.8.7', '6.8.8', '6.8.9', '6.8.10'];
const STATUS_IDS = ['is_6_8_5', 'is_6_8_6', 'is_6_8_7', 'is_6_8_8', 'is_6_8_8', 'is_6_8_10'];

export const ISSUANCE_ISSUER: Scenario[] = scenarios('issuance.issuer', [
  ['is_6_2_endpointDiscovery', '6.2 Endpoint Discovery', false, async (ctx) => void (await issuerService(ctx))],
  [
    'is_6_7_issuerMetadata',
    '6.7 Verify correct Issuer Metadata',
    false,
    async (ctx) => {
      const metadata = JSON.parse(await expect2xx(fetch(`${await issuerService(ctx)}/metadata`)));
      if (metadata.type !== 'IssuerMetadata' || metadata.issuer !== ctx.issuerDid || !metadata.credentialsSupported?.length)
        throw new ScenarioFailure(`not the IssuerMetadata of ${ctx.issuerDid}: ${JSON.stringify(metadata).slice(0, 300)}`);
    },
  ],
  [
    'is_6_4_1_credentialRequest',
    '6.4.1 IssuerService should accept a CredentialRequest',
    false,
    async (ctx) => {
      const response = await request(ctx, await requestMessage(ctx, ctx.settings.correlationId), `Bearer ${await token(ctx)}`);
      await expect2xx(response.clone());
      if (!response.headers.get('location')) throw new ScenarioFailure('the answer has no Location header');
      const count = () => ctx.tck.received.flatMap((m) => m.credentials as unknown[]).length;
      await until(
        () => `Expected to receive a CredentialMessage with 2 credentials (received ${count()})`,
        async () => count() === 2,
        10_000,
        500,
      );
    },
  ],
  [
    'is_6_4_2_credentialRequest_noAuthHeader',
    '6.4.2 IssuerService should reject a CredentialRequest without an Authorization header',
    false,
    async (ctx) => expect4xx(request(ctx, await requestMessage(ctx, ctx.holderDid))),
  ],
  [
    'is_6_4_3_credentialRequest_noBearerPrefix',
    '6.4.3 IssuerService should reject a CredentialRequest where the auth header does not have a Bearer prefix',
    false,
    async (ctx) => expect4xx(request(ctx, await requestMessage(ctx, ctx.settings.correlationId), await token(ctx))),
  ],
  [
    'is_6_4_4_credentialRequest_invalidBody',
    '6.4.4 IssuerService should reject a CredentialRequest with an invalid body',
    false,
    async (ctx) => {
      const body = await requestMessage(ctx, ctx.settings.correlationId);
      delete body.credentials;
      await expect4xx(request(ctx, body, `Bearer ${await token(ctx)}`));
    },
  ],
  ...badTokens.map(([name, what, bad], i): [string, string, boolean, (ctx: DcpContext) => Promise<void>] => [
    `${REQUEST_IDS[i]}_credentialRequest_${name}`,
    `${REQUEST_NUMBERS[i]} IssuerService should reject a CredentialRequest with ${what}`,
    false,
    async (ctx) => expect4xx(request(ctx, await requestMessage(ctx, ctx.settings.correlationId), `Bearer ${await bad(ctx)}`)),
  ]),
  [
    'is_6_4_11_credentialRequest_jtiAlreadyUsed',
    '6.4.11 IssuerService should reject a CredentialRequest with an invalid token - jti already used',
    false,
    async (ctx) => {
      const [body, authorization] = [await requestMessage(ctx, ctx.settings.correlationId), `Bearer ${await token(ctx)}`];
      const first = await request(ctx, body, authorization);
      if (first.status !== 201) throw new ScenarioFailure(`expected 201, got ${first.status} ${(await first.text()).slice(0, 200)}`);
      await expect4xx(request(ctx, body, authorization));
    },
  ],
  [
    'is_6_4_12_credentialRequest_missingHolderPid',
    '6.4.12 IssuerService should reject a CredentialRequest with a missing holderPid',
    false,
    async (ctx) => {
      const body = await requestMessage(ctx, ctx.settings.correlationId);
      delete body.holderPid;
      await expect4xx(request(ctx, body, `Bearer ${await token(ctx)}`));
    },
  ],
  [
    'is_6_8_1_credentialStatusRequest',
    '6.8.1 IssuerService should respond with a status message',
    false,
    async (ctx) => {
      const id = await requestCredentials(ctx);
      let last = '';
      await until(
        () => `expected a status ISSUED, RECEIVED or REJECTED, last answer ${last}`,
        async () => {
          const response = await status(ctx, id, `Bearer ${await token(ctx)}`);
          last = `${response.status} ${await response.clone().text()}`;
          return response.ok && ['ISSUED', 'RECEIVED', 'REJECTED'].includes(((await response.json()) as { status?: string }).status ?? '');
        },
        10_000,
        1000,
      );
    },
  ],
  [
    'is_6_8_2_credentialStatusRequest_noAuthHeader',
    '6.8.2 IssuerService should reject a CredentialRequest without an Authorization header',
    false,
    async (ctx) => expect4xx(status(ctx, await requestCredentials(ctx))),
  ],
  [
    'is_6_8_3_credentialStatusRequest_noBearerPrefix',
    '6.8.3 IssuerService should reject a CredentialRequest where the auth header does not have a Bearer prefix',
    false,
    async (ctx) => expect4xx(status(ctx, await requestCredentials(ctx), await token(ctx))),
  ],
  ...badTokens.map(([name, what, bad], i): [string, string, boolean, (ctx: DcpContext) => Promise<void>] => [
    `${STATUS_IDS[i]}_credentialStatusRequest_${name}`,
    `${STATUS_NUMBERS[i]} IssuerService should reject a CredentialRequest with ${what}`,
    false,
    async (ctx) => expect4xx(status(ctx, await requestCredentials(ctx), `Bearer ${await bad(ctx)}`)),
  ]),
  [
    'is_6_8_11_credentialStatusRequest_jtiAlreadyUsed',
    '6.8.11 IssuerService should reject a CredentialRequest with an invalid token - jti already used',
    false,
    async (ctx) => {
      const [id, authorization] = [await requestCredentials(ctx), `Bearer ${await token(ctx)}`];
      await expect2xx(status(ctx, id, authorization));
      await expect4xx(status(ctx, id, authorization));
    },
  ],
  [
    'is_6_8_12_credentialStatusRequest_requestIdNotFound',
    '6.8.12 IssuerService should respond with 4xx if the request ID is not found',
    false,
    async (ctx) => expect4xx(status(ctx, 'not-exist', `Bearer ${await token(ctx)}`)),
  ],
]);
