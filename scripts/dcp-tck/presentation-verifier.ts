import { credential, credentialJwt, MEMBERSHIP, now, presentationJwt, scopeOf, SENSITIVE_DATA } from './parties.ts';
import { dcpMessage, expect2xx, expect4xx, scenarios, ScenarioFailure, type DcpContext } from './scenario.ts';
import { serviceEndpoint } from './tokens.ts';

/**
 * presentation.verifier (PresentationFlowSection4Test, PresentationFlowSection5Test): the TCK is the holder.
 * It POSTs a DSP CatalogRequestMessage to the verifier's trigger endpoint with its ID token (carrying an
 * access token of its embedded STS); the verifier must query the TCK's credential service and answer 2xx
 * only when the presentation verifies, 4xx otherwise.
 */
const TRIGGER_MESSAGE = { '@type': 'https://w3id.org/dspace/2025/1/CatalogRequestMessage', 'https://w3id.org/dspace/2025/1/filter': {} };

function trigger(ctx: DcpContext, authorization: string): Promise<Response> {
  return fetch(ctx.settings.triggerEndpoint, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(TRIGGER_MESSAGE) });
}

/** AbstractVerifierPresentationFlowTest#createIdToken by the TCK holder; `claims` override (token: undefined drops it). */
async function holderToken(ctx: DcpContext, token: string | undefined, claims: Record<string, unknown> = {}, party = ctx.tck.parties.holder): Promise<string> {
  const all: Record<string, unknown> = { iss: ctx.holderDid, sub: ctx.holderDid, aud: ctx.verifierDid, jti: crypto.randomUUID(), iat: now(), exp: now() + 600, token, ...claims };
  if (all.token === undefined) delete all.token;
  return party.sign(all);
}

const membership = [scopeOf(MEMBERSHIP)];
const refused = (claims: (ctx: DcpContext) => Record<string, unknown>) => async (ctx: DcpContext) =>
  expect4xx(trigger(ctx, `Bearer ${await holderToken(ctx, await ctx.accessToken(membership), claims(ctx))}`));
const verdict = (expected: typeof expect2xx | typeof expect4xx, scopes: string[]) => async (ctx: DcpContext) =>
  void (await expected(trigger(ctx, `Bearer ${await holderToken(ctx, await ctx.accessToken(scopes))}`)));

/** The TCK holder answers the next query itself with a presentation of these credentials (PresentationProvider). */
function answerWith(fields: (ctx: DcpContext) => Record<string, unknown> | undefined, presentation = true) {
  return async (ctx: DcpContext) => {
    ctx.tck.delegate = async (bearerDid) => {
      const extra = fields(ctx);
      const credentials = extra ? [await credentialJwt(ctx.tck.parties.issuer, credential(ctx.issuerDid, ctx.holderDid, MEMBERSHIP, extra))] : [];
      return dcpMessage('PresentationResponseMessage', { presentation: presentation ? [await presentationJwt(ctx.tck.parties.holder, bearerDid, credentials)] : [] });
    };
    await expect4xx(trigger(ctx, `Bearer ${await holderToken(ctx, await ctx.accessToken(membership))}`));
  };
}

export const PRESENTATION_VERIFIER = scenarios('presentation.verifier', [
  [
    'presentationResponse_rejectMissingBearerPrefix',
    'Verifier should reject an auth token without the Bearer prefix',
    false,
    async (ctx) => expect4xx(trigger(ctx, await holderToken(ctx, await ctx.accessToken(membership)))),
  ],
  [
    'verifier_04_03_03_idTokenInvalidIssuerSub',
    '4.3.3 Verify invalid access token - auth token bound to a different iss/sub',
    true,
    async (ctx) => {
      const claims = { iss: ctx.thirdPartyDid, sub: ctx.thirdPartyDid, aud: ctx.holderDid };
      await expect4xx(trigger(ctx, `Bearer ${await holderToken(ctx, await ctx.accessToken(membership), claims, ctx.tck.parties.thirdparty)}`));
    },
  ],
  ['verifier_04_03_03_idTokenInvalidSub', '4.3.3 Verify invalid access token - iss and sub different', true, refused((ctx) => ({ sub: ctx.thirdPartyDid }))],
  ['verifier_04_03_03_idTokenIncorrectAud', '4.3.3 Verify invalid access token - incorrect aud', true, refused((ctx) => ({ aud: ctx.thirdPartyDid }))],
  ['verifier_04_03_03_idTokenIncorrectSub', '4.3.3 Verify invalid access token - sub does not match DID document id', true, refused((ctx) => ({ sub: ctx.thirdPartyDid }))],
  ['verifier_04_03_03_idTokenNbfInFuture', '4.3.3 Verify invalid access token - nbf in future', true, refused(() => ({ nbf: now() + 1_000_000 }))],
  ['verifier_04_03_03_idTokenExpired', '4.3.3 Verify invalid access token - expired', true, refused(() => ({ exp: now() - 1_000_000 }))],
  [
    'verifier_04_03_03_idTokenJtiUsedTwice',
    '4.3.3 Verify invalid access token - jti',
    true,
    async (ctx) => {
      const jti = crypto.randomUUID();
      await expect2xx(trigger(ctx, `Bearer ${await holderToken(ctx, await ctx.accessToken(membership), { jti })}`));
      await expect4xx(trigger(ctx, `Bearer ${await holderToken(ctx, await ctx.accessToken(membership), { jti })}`));
    },
  ],
  [
    'verifier_04_03_01_presentationResponse_idTokenNoTokenClaim',
    '4.3.1 Verifier should reject an ID token that does not contain an access token',
    true,
    async (ctx) => expect4xx(trigger(ctx, `Bearer ${await holderToken(ctx, undefined)}`)),
  ],
  [
    'presentationResponse_endpointDiscovery',
    "Verifier should resolve the DID from the prover's ID token",
    true,
    async (ctx) => {
      if (!(await serviceEndpoint(ctx.verifierDid, 'CredentialService'))) throw new ScenarioFailure('no CredentialService endpoint');
    },
  ],
  ['verifier_05_01_presentationResponse_success', '5.1 Verifier should accept a valid PresentationResponseMessage', true, verdict(expect2xx, membership)],
  [
    'verifier_05_04_02_01_presentationResponse_tooFewCredentials',
    '5.4.2.1 Verifier should reject a presentation response message that contains a different credential than requested',
    true,
    verdict(expect4xx, ['org.eclipse.dspace.dcp.vc.type:SomeOtherCredential:read']),
  ],
  [
    'verifier_05_04_02_02_presentationResponse_tooManyCredentials',
    '5.4.2.2 Verifier should accept a presentation response message that contains more credentials than requested',
    true,
    verdict(expect2xx, [scopeOf(MEMBERSHIP), scopeOf(SENSITIVE_DATA)]),
  ],
  ['verifier_05_04_02_03_presentationResponse_emptyPresentations', "5.4.2.3 Verifier should reject an empty 'presentation' array", false, answerWith(() => undefined, false)],
  [
    'verifier_05_04_02_04_presentationResponse_emptyCredentials',
    '5.4.2.4 Verifier should reject an a presentation where a requested credential is missing',
    false,
    answerWith(() => undefined),
  ],
  [
    'verifier_05_04_03_presentationResponse_holderNotEqualSubjectId',
    '5.4.3 Verifier should reject Presentations where the holder does not match the credentialSubject.id',
    false,
    answerWith((ctx) => ({ credentialSubject: { id: ctx.thirdPartyDid, foo: 'bar' } })),
  ],
  [
    'verifier_05_04_03_07_presentationResponse_expiredCredential',
    '5.4.3.7 Verifier should reject an expired credential',
    false,
    answerWith(() => ({ expirationDate: new Date(Date.now() - 100_000).toISOString() })),
  ],
  [
    'verifier_05_04_03_06_presentationResponse_credentialRevoked',
    '5.4.3.6 Verifier should reject Presentations where at least 1 credential is revoked/suspended',
    false,
    async (ctx) => {
      ctx.tck.revoked.add(1);
      const status = { id: crypto.randomUUID(), type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '1', statusListCredential: ctx.tck.statusListUrl };
      await answerWith(() => ({ credentialStatus: status }))(ctx);
    },
  ],
  [
    'verifier_05_04_03_06_presentationResponse_notYetValidCredential',
    '5.4.3.6 Verifier should reject a credential that is not yet valid',
    false,
    answerWith(() => ({ issuanceDate: new Date(Date.now() + 3_600_000).toISOString() })),
  ],
  [
    'verifier_x_x_presentationResponse_invalidCredentialSchema',
    'X.X Verifier should reject Presentations where at least 1 credential schema is violated',
    false,
    answerWith((ctx) => ({
      credentialSubject: { id: ctx.holderDid, baz: 'quazz' },
      credentialSchema: { type: 'JsonSchemaValidator2018', id: `${ctx.tck.url}/schema/membership-schema.json` },
    })),
  ],
]);
