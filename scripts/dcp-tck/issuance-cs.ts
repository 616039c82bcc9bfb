import { credential, credentialJwt, MEMBERSHIP, now, p256, SENSITIVE_DATA } from './parties.ts';
import { dcpMessage, expect2xx, expect4xx, postJson, scenarios, type DcpContext, type Scenario } from './scenario.ts';
import { serviceEndpoint } from './tokens.ts';

/**
 * issuance.cs (CredentialIssuanceTest, CredentialOfferTest): the TCK is the issuer and writes to the holder's
 * Storage API (`<cs>/credentials`) and Offer API (`<cs>/offers`) with ID tokens it signs.
 */
type Claims = Record<string, unknown>;

/** AbstractCredentialIssuanceTest#createClaims: aud the holder, iss = sub the issuer, 600 s. */
const claims = (ctx: DcpContext, overrides: Claims = {}): Claims => ({
  aud: ctx.holderDid,
  iss: ctx.issuerDid,
  sub: ctx.issuerDid,
  jti: crypto.randomUUID(),
  iat: now(),
  exp: now() + 600,
  ...overrides,
});

/** The CredentialMessage of the TCK (the @Credential containers: a membership and a sensitive-data credential). */
export async function credentialMessage(ctx: DcpContext, holderPid: string): Promise<Record<string, unknown>> {
  const issuer = ctx.tck.parties.issuer;
  const payload = async (type: string) => ({
    credentialType: type,
    format: 'vc11-sl2021/jwt',
    payload: await credentialJwt(issuer, credential(ctx.issuerDid, ctx.holderDid, type)),
  });
  return dcpMessage('CredentialMessage', { issuerPid: crypto.randomUUID(), holderPid, status: 'ISSUED', credentials: [await payload(MEMBERSHIP), await payload(SENSITIVE_DATA)] });
}

const offerMessage = (ctx: DcpContext, fields: Record<string, unknown> = {}) =>
  dcpMessage('CredentialOfferMessage', {
    issuer: ctx.issuerDid,
    credentials: [
      {
        id: crypto.randomUUID(),
        type: 'CredentialObject',
        credentialType: 'MembershipCredential',
        offerReason: 'reissue',
        bindingMethods: ['did:web:'],
        profile: 'vc11-sl2021/jwt',
        issuancePolicy: {},
      },
    ],
    ...fields,
  });

const bearer = async (ctx: DcpContext, overrides: Claims = {}) => `Bearer ${await ctx.tck.parties.issuer.sign(claims(ctx, overrides))}`;

/** The twelve tests both APIs share: one accepted message, then each way its token or body is wrong. */
function apiScenarios(prefix: string, name: string, path: string, message: (ctx: DcpContext) => Promise<Record<string, unknown>>, extra: Scenario[]): Scenario[] {
  const to = async (ctx: DcpContext, body: unknown, authorization?: string) => postJson(`${await serviceEndpoint(ctx.holderDid, 'CredentialService')}${path}`, body, authorization);
  const refusedWith = (overrides: Claims) => async (ctx: DcpContext) => expect4xx(to(ctx, await message(ctx), await bearer(ctx, overrides)));
  const rows: [string, string, boolean, (ctx: DcpContext) => Promise<void>][] = [
    [
      `${prefix}_noAuthHeader`,
      `6.${name} rejects a ${path === '/offers' ? 'CredentialOfferMessage' : 'CredentialMessage'} with no auth header`,
      false,
      async (ctx) => expect4xx(to(ctx, await message(ctx))),
    ],
    [
      `${prefix}_missingBearerPrefix`,
      `6.${name} rejects a message where the auth header has no bearer prefix`,
      false,
      async (ctx) => expect4xx(to(ctx, await message(ctx), (await bearer(ctx)).slice('Bearer '.length))),
    ],
    [
      `${prefix}_invalidBody`,
      `6.${name} rejects a message with an invalid message body`,
      false,
      async (ctx) => {
        const body = await message(ctx);
        delete body.holderPid;
        if (path === '/offers') body.issuer = null;
        await expect4xx(to(ctx, body, await bearer(ctx)));
      },
    ],
    [
      `${prefix}_tokenSignedWithWrongKey`,
      `6.${name} rejects an invalid auth token - wrong signing key`,
      false,
      async (ctx) => {
        const issuer = ctx.tck.parties.issuer;
        const token = await issuer.sign(claims(ctx), { privateKey: p256().privateKey, kid: issuer.keyId });
        await expect4xx(to(ctx, await message(ctx), `Bearer ${token}`));
      },
    ],
    [`${prefix}_tokenExpired`, `6.${name} rejects an invalid auth token - token expired`, false, refusedWith({ exp: now() - 3600 })],
    [`${prefix}_iatInFuture`, `6.${name} rejects an invalid auth token - iat in the future`, false, refusedWith({ iat: now() + 3600 })],
    [`${prefix}_nbfViolated`, `6.${name} rejects an invalid auth token - nbf`, false, refusedWith({ nbf: now() + 3600 })],
    [`${prefix}_incorrectAudience`, `6.${name} rejects an invalid auth token - incorrect aud`, false, async (ctx) => refusedWith({ aud: ctx.thirdPartyDid })(ctx)],
    [`${prefix}_issNotEqualToSub`, `6.${name} rejects an invalid auth token - iss != sub`, false, async (ctx) => refusedWith({ sub: ctx.thirdPartyDid })(ctx)],
    [
      `${prefix}_jtiAlreadyUsed`,
      `6.${name} rejects an invalid auth token - jti used before`,
      false,
      async (ctx) => {
        const [body, authorization] = [await message(ctx), await bearer(ctx)];
        await expect2xx(to(ctx, body, authorization));
        await expect4xx(to(ctx, body, authorization));
      },
    ],
  ];
  return [...extra, ...scenarios('issuance.cs', rows)];
}

const storage = (path: string) => async (ctx: DcpContext, body: unknown) =>
  expect2xx(postJson(`${await serviceEndpoint(ctx.holderDid, 'CredentialService')}${path}`, body, await bearer(ctx)));

export const ISSUANCE_CS: Scenario[] = [
  ...apiScenarios('cs_06_05_01_credentialMessage', '5.1 CredentialService', '/credentials', (ctx) => credentialMessage(ctx, ctx.settings.correlationId), [
    ...scenarios('issuance.cs', [
      [
        'cs_06_05_01_credentialMessage',
        '6.5.1 CredentialService should accept expected CredentialMessage',
        false,
        async (ctx) => void (await storage('/credentials')(ctx, await credentialMessage(ctx, ctx.settings.correlationId))),
      ],
    ]),
  ]),
  ...scenarios('issuance.cs', [
    [
      'cs_06_05_01_credentialMessage_invalidStatus',
      '6.5.1 CredentialService rejects an invalid status string',
      false,
      async (ctx) => {
        const body = { ...(await credentialMessage(ctx, ctx.settings.correlationId)), status: 'INVALID_STATUS' };
        await expect4xx(postJson(`${await serviceEndpoint(ctx.holderDid, 'CredentialService')}/credentials`, body, await bearer(ctx)));
      },
    ],
  ]),
  ...apiScenarios('cs_06_06_01_credentialOfferMessage', '6.1 CredentialService', '/offers', async (ctx) => offerMessage(ctx), [
    ...scenarios('issuance.cs', [
      [
        'cs_06_06_01_credentialOfferMessage',
        '6.6.1 CredentialService should accept CredentialOfferMessage',
        false,
        async (ctx) => void (await storage('/offers')(ctx, offerMessage(ctx))),
      ],
      [
        'cs_06_06_01_credentialOfferMessage_onlyIds',
        '6.6.1 CredentialService should accept CredentialOfferMessage (only IDs)',
        false,
        async (ctx) => void (await storage('/offers')(ctx, offerMessage(ctx, { credentials: [{ id: crypto.randomUUID() }, { id: crypto.randomUUID() }] }))),
      ],
    ]),
  ]),
];
