import { MEMBERSHIP, now, scopeOf, SENSITIVE_DATA } from './parties.ts';
import { dcpMessage, expect2xx, expect4xx, postJson, ScenarioFailure, scenarios, type DcpContext } from './scenario.ts';
import { dcpContext } from './tck-server.ts';
import { serviceEndpoint, verifyEcSignature } from './tokens.ts';

/**
 * presentation.cs (PresentationFlowSection4Test, PresentationFlowSection5Test): the TCK is the verifier and
 * queries the holder's credential service with ID tokens it signs, carrying access tokens from the holder's STS.
 */
const query = (scope?: string[], extra: Record<string, unknown> = {}) => dcpMessage('PresentationQueryMessage', { ...(scope ? { scope } : {}), ...extra });

/** POSTs a query to the holder's `<CredentialService>/presentations/query` with `authorization` as given. */
async function send(ctx: DcpContext, authorization: string, message: unknown): Promise<Response> {
  return postJson(`${await serviceEndpoint(ctx.holderDid, 'CredentialService')}/presentations/query`, message, authorization);
}

/** The verifier's ID token (AbstractPresentationFlowTest#createIdToken), `claims` overriding its defaults. */
function verifierToken(ctx: DcpContext, token: string, claims: Record<string, unknown> = {}, party = ctx.tck.parties.verifier): Promise<string> {
  return party.sign({ iss: ctx.verifierDid, sub: ctx.verifierDid, aud: ctx.holderDid, jti: crypto.randomUUID(), iat: now(), exp: now() + 600, token, ...claims });
}

/** AbstractPresentationFlowTest#verifyCredentials: 2xx, the response schema, JWT presentations for us, only these types. */
async function verifyCredentials(ctx: DcpContext, response: Response, ...types: string[]): Promise<void> {
  const body = JSON.parse(await expect2xx(response));
  if (
    !dcpContext(body['@context']) ||
    body.type !== 'PresentationResponseMessage' ||
    !Array.isArray(body.presentation) ||
    body.presentation.some((p: unknown) => typeof p !== 'string' && (typeof p !== 'object' || p === null))
  )
    throw new ScenarioFailure(`Schema validation failed: ${JSON.stringify(body).slice(0, 200)}`);
  const seen = new Set<string>();
  for (const vp of body.presentation) {
    if (typeof vp !== 'string') throw new ScenarioFailure('the TCK reads presentations as JWT strings');
    const claims = await verifyEcSignature(vp);
    const aud = [claims.aud].flat();
    if (aud.length !== 1 || aud[0] !== ctx.verifierDid) throw new ScenarioFailure(`presentation aud ${JSON.stringify(claims.aud)}, expected only ${ctx.verifierDid}`);
    for (const presentation of [claims.vp].flat()) {
      for (const jwt of presentation?.verifiableCredential ?? []) for (const type of (await verifyEcSignature(jwt)).vc?.type ?? []) seen.add(type);
    }
  }
  const expected = new Set(['VerifiableCredential', ...types]);
  if ([...seen].some((t) => !expected.has(t)) || [...expected].some((t) => !seen.has(t)))
    throw new ScenarioFailure(`presented credential types ${JSON.stringify([...seen])}, expected only ${JSON.stringify([...expected])}`);
}

const membership = [scopeOf(MEMBERSHIP)];
const expectRefused = async (ctx: DcpContext, claims: Record<string, unknown>, party = ctx.tck.parties.verifier) =>
  expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership), claims, party)}`, query(membership)));

export const PRESENTATION_CS = scenarios('presentation.cs', [
  [
    'cs_04_03_03_idTokenInvalidIssuerSub',
    '4.3.3 Verify invalid access token - auth token bound to a different iss/sub',
    true,
    (ctx) => expectRefused(ctx, { iss: ctx.thirdPartyDid, sub: ctx.thirdPartyDid }, ctx.tck.parties.thirdparty),
  ],
  ['cs_04_03_03_idTokenInvalidSub', '4.3.3 Verify invalid access token - iss and sub different', true, (ctx) => expectRefused(ctx, { sub: ctx.thirdPartyDid })],
  ['cs_04_03_03_idtokenIncorrectAud', '4.3.3 Verify invalid access token - incorrect aud', true, (ctx) => expectRefused(ctx, { aud: ctx.verifierDid })],
  [
    'cs_04_03_03_idtokenIncorrectSub',
    '4.3.3 Verify invalid access token - sub does not match DID document id',
    true,
    (ctx) => expectRefused(ctx, { iss: ctx.thirdPartyDid, sub: ctx.thirdPartyDid, aud: ctx.verifierDid }),
  ],
  ['cs_04_03_03_idtokenNbfInFuture', '4.3.3 Verify invalid access token - nbf in future', true, (ctx) => expectRefused(ctx, { nbf: now() + 1_000_000 })],
  ['cs_04_03_03_idtokenExpired', '4.3.3 Verify invalid access token - expired', true, (ctx) => expectRefused(ctx, { exp: now() - 1_000_000 })],
  [
    'cs_04_03_03_idtokenJtiUsedTwice',
    '4.3.3 Verify invalid access token - jti',
    true,
    async (ctx) => {
      const jti = crypto.randomUUID();
      const [first, second] = [await ctx.accessToken(membership), await ctx.accessToken(membership)];
      await verifyCredentials(ctx, await send(ctx, `Bearer ${await verifierToken(ctx, first, { jti })}`, query(membership)), MEMBERSHIP);
      await expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, second, { jti })}`, query(membership)));
    },
  ],
  [
    'cs_05_02_endpointDiscovery',
    '5.2 Verify Credential Service endpoint discovery',
    false,
    async (ctx) => {
      await serviceEndpoint(ctx.holderDid, 'CredentialService');
    },
  ],
  [
    'cs_05_03_01_accessTokenInvalidHeader',
    '5.3.1 Verify submitting an invalid access token header',
    true,
    async (ctx) => expect4xx(send(ctx, await verifierToken(ctx, await ctx.accessToken(membership)), query(membership))),
  ],
  [
    'cs_05_04_invalidTokenNotAuthorized',
    '5.4 Verify Resolution API invalid token not authorized',
    true,
    async (ctx) => expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, 'faketoken')}`, query(membership))),
  ],
  [
    'cs_05_04_01_invalidScopeAndPresentationRequest',
    '5.4.1.2 Verify Resolution API request does not contain a scope and presentation definition',
    true,
    async (ctx) => {
      const definition = {
        id: crypto.randomUUID(),
        input_descriptors: [{ id: 'credential', format: 'vcdm11_jwt', constraints: { fields: { path: ['$.type'], filter: { type: 'string', pattern: MEMBERSHIP } } } }],
      };
      const response = await send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership))}`, query(membership, { presentationDefinition: definition }));
      if (response.status !== 400) throw new ScenarioFailure(`expected 400, got ${response.status}`);
    },
  ],
  [
    'cs_05_04_01_emptyPresentationDefinition',
    "5.4.1.1 Verify Resolution API rejects an empty 'presentationDefinition' object",
    true,
    async (ctx) => {
      await expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership))}`, query(undefined, { presentationDefinition: {} })));
      await expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership))}`, query(undefined, { presentationDefinition: null })));
    },
  ],
  [
    'cs_05_04_02_emptyScopeExpect4xx',
    "5.4.1.2 Verify Resolution API rejects an empty (or absent) 'scope' array",
    true,
    async (ctx) => {
      await expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership))}`, query([])));
      await expect4xx(send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership))}`, query()));
    },
  ],
  [
    'cs_05_04_01_02_scopeByTypeRequest',
    `5.4.1.2 Verify Resolution API scope request for a ${MEMBERSHIP}`,
    true,
    async (ctx) => verifyCredentials(ctx, await send(ctx, `Bearer ${await verifierToken(ctx, await ctx.accessToken(membership))}`, query(membership)), MEMBERSHIP),
  ],
  [
    'cs_05_04_01_02_lessScopesThanAuthorizedByTypeRequest',
    `5.4.1.2 Verify Resolution API with less scopes than requested for a ${SENSITIVE_DATA}`,
    true,
    async (ctx) => {
      const token = await ctx.accessToken([scopeOf(MEMBERSHIP), scopeOf(SENSITIVE_DATA)]);
      await verifyCredentials(ctx, await send(ctx, `Bearer ${await verifierToken(ctx, token)}`, query([scopeOf(SENSITIVE_DATA)])), SENSITIVE_DATA);
    },
  ],
  [
    'cs_05_04_01_02_invalidScopeEscalationRequest',
    `5.4.1.2 Verify Resolution API invalid scope escalation request for a ${SENSITIVE_DATA}`,
    true,
    async (ctx) => {
      const token = await ctx.accessToken(membership);
      await verifyCredentials(ctx, await send(ctx, `Bearer ${await verifierToken(ctx, token)}`, query([scopeOf(MEMBERSHIP), scopeOf(SENSITIVE_DATA)])), MEMBERSHIP);
    },
  ],
]);
