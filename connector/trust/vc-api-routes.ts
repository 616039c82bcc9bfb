import type { ErrorCode } from '../../contracts/errors.ts';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { apiKeyAuth } from '../http/middleware.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { checkCredentialDataModel, checkPresentationDataModel, dataModelVersion, describeProblems, idOf, type DataModelProblem } from '../../contracts/credentials/data-model.ts';
import { checkJsonLd } from '../../contracts/credentials/json-ld-check.ts';
import { checkRelatedResourceDigests } from '../../contracts/credentials/related-resource.ts';
import { CredentialDataModelError, CRYPTOSUITES, JsonLdError } from '../../contracts/credentials/proofs.ts';
import { ALL_CREDENTIAL_CHECKS, type CredentialCheckName, type Rejection, type TrustedIssuer } from '../../contracts/credentials/verifier.ts';
import type { VerifiableCredential, VerifiablePresentation } from '../../contracts/credentials/model.ts';
import { envelopedCredential, isEnvelopedCredential, signCredentialJwt, VC_JWT_MEDIA_TYPE } from '../../contracts/credentials/vc-jose.ts';
import { isEnvelopedPresentation, mistypedEnvelope } from '../../contracts/credentials/vp-jose.ts';
import { publishedContextDigests } from '../../vocab/contexts.ts';
import type { Authority } from './authority.ts';

const Json = z.record(z.string(), z.unknown());
const Checks = z.array(z.enum(ALL_CREDENTIAL_CHECKS as [CredentialCheckName, ...CredentialCheckName[]])).optional();
const IssueRequest = z.object({
  credential: Json,
  options: z
    .object({ cryptosuite: z.enum(CRYPTOSUITES).optional(), envelope: z.literal(VC_JWT_MEDIA_TYPE).optional() })
    .loose()
    .optional(),
});
/** A credential or presentation as JSON, or as a compact JWS (VC-JOSE or VC-JWT 1.1). */
const JsonOrJws = z.union([
  Json,
  z
    .string()
    .min(1)
    .max(256 * 1024),
]);
const VerifyCredentialRequest = z.object({ verifiableCredential: JsonOrJws, options: z.object({ checks: Checks }).loose().optional() });
const VerifyPresentationRequest = z.object({
  verifiablePresentation: JsonOrJws,
  options: z
    .object({ challenge: z.string().min(1).optional(), domain: z.string().min(1).optional(), checks: Checks })
    .loose()
    .optional(),
});

/**
 * What the VC-API verifies unless told otherwise: proofs, validity and status. Whether the issuer is one this
 * dataspace trusts is the dataspace's call: checked on request (`checks: [..., "issuer"]`), otherwise
 * reported as a warning, so any issuer's sound credential verifies as the standard expects.
 */
const DEFAULT_CHECKS: CredentialCheckName[] = ['proof', 'validity', 'status'];

type Verification = { verified: true; warnings?: string[] } | ({ verified: false } & Rejection);

/** A VC-API verification answer: 200 when verified, 400 with the reason when not. */
function verificationResponse(c: Context, result: Verification, checks: string[]) {
  if (result.verified) return c.json({ verified: true, checks, warnings: (result.warnings ?? []).map((message) => ({ message })), errors: [] }, 200);
  const { code, message, credentialId } = result;
  return c.json({ verified: false, checks, warnings: [], errors: [{ code, message, ...(credentialId ? { credentialId } : {}) }] }, 400);
}

/** A refusal before any proof is looked at: the document does not conform. */
function refusal(problems: DataModelProblem[], id?: unknown): Verification {
  const code = problems.some((p) => p.code === 'unknown_context') ? 'unknown_context' : 'malformed';
  return { verified: false, code, message: describeProblems(problems), ...(typeof id === 'string' ? { credentialId: id } : {}) };
}

function refuse(code: ErrorCode, problems: DataModelProblem[]): never {
  throw new HttpProblem(
    400,
    code,
    describeProblems(problems),
    problems.map((p) => `${p.path}: ${p.message}`),
  );
}

/** The resources whose digests a relatedResource may be checked against: the contexts as the W3C publishes them. */
const heldResourceDigests = (url: string) => publishedContextDigests(url);

/**
 * The W3C VC-API over VCDM 2.0 (and 1.1): every connector verifies credentials and presentations for its
 * operator's tools; a governance authority also issues (behind the management API key), securing the data
 * model version it is given under its did:web or its did:key, and publishes its status lists.
 * The standard checks come first (data model, JSON-LD, related resources, proofs); the dataspace's issuing
 * rules are the authority's (connector/trust/authority.ts), applied after them.
 */
export function vcApiRoutes(ctx: ConnectorContext, authority?: Authority): Hono {
  const app = new Hono();
  // An authority trusts what it issued itself, under either of its DIDs.
  const alsoTrusted: TrustedIssuer[] = (authority?.identities ?? []).map((i) => ({ did: i.did, credentialTypes: ['*'] }));

  /** Data model (2.0 or 1.1), JSON-LD soundness and related resource digests of a credential to verify. */
  async function soundnessOf(credential: Record<string, unknown>): Promise<Verification | undefined> {
    const problems = checkCredentialDataModel(credential, { versions: ['2.0', '1.1'] });
    if (problems.length === 0) problems.push(...(await checkJsonLd(credential, ctx.documentLoader)), ...checkRelatedResourceDigests(credential, heldResourceDigests));
    return problems.length > 0 ? refusal(problems, credential.id) : undefined;
  }

  app.post('/credentials/verify', async (c) => {
    const { verifiableCredential, options } = await parseJsonBody(c, VerifyCredentialRequest);
    const checks = options?.checks ?? DEFAULT_CHECKS;
    // A JOSE credential (enveloped, or a compact JWS) is opened by the verifier, which checks the data model inside.
    const unsound = typeof verifiableCredential === 'string' || isEnvelopedCredential(verifiableCredential) ? undefined : await soundnessOf(verifiableCredential);
    if (unsound) return verificationResponse(c, unsound, [...checks]);
    const credential = verifiableCredential as VerifiableCredential | string;
    const result = await ctx.trust.verifier.verifyCredential(credential, { checks, alsoTrusted });
    if (result.verified && !checks.includes('issuer')) {
      const trust = await ctx.trust.verifier.verifyCredential(credential, { checks: ['issuer'], alsoTrusted });
      if (!trust.verified) return verificationResponse(c, { verified: true, warnings: [...(result.warnings ?? []), `not checked: ${trust.message}`] }, [...checks]);
    }
    return verificationResponse(c, result, [...checks]);
  });

  app.post('/presentations/verify', async (c) => {
    const { verifiablePresentation, options = {} } = await parseJsonBody(c, VerifyPresentationRequest);
    const checks = options.checks ?? DEFAULT_CHECKS;
    const checked = ['proof', 'challenge', 'domain', ...checks.map((check) => `credentials.${check}`)];
    // A JOSE presentation (vp+jwt, enveloped or compact) is opened by the verifier, which checks the data model inside.
    const jose = typeof verifiablePresentation === 'string' || isEnvelopedPresentation(verifiablePresentation);
    const problems = jose ? [] : checkPresentationDataModel(verifiablePresentation, { versions: ['2.0', '1.1'] });
    if (!jose && mistypedEnvelope(verifiablePresentation))
      problems.push({ path: 'type', message: 'a presentation whose id is the data: URL of a secured presentation must be an EnvelopedVerifiablePresentation' });
    if (!jose && problems.length === 0) problems.push(...(await checkJsonLd(verifiablePresentation, ctx.documentLoader)));
    if (problems.length > 0) return verificationResponse(c, refusal(problems), checked);
    const result = await ctx.trust.verifier.verifyAnyPresentation(verifiablePresentation as unknown as VerifiablePresentation | string, {
      ...(options.challenge ? { challenge: options.challenge } : {}),
      ...(options.domain ? { domain: options.domain } : {}),
      checks,
      alsoTrusted,
    });
    if (!result.verified && result.code === 'missing_challenge') throw new HttpProblem(400, 'invalid_request', result.message);
    return verificationResponse(c, result, checked);
  });
  if (!authority) return app;

  app.use('/credentials/issue', apiKeyAuth(ctx.apiKey));
  app.post('/credentials/issue', async (c) => {
    const { credential, options } = await parseJsonBody(c, IssueRequest);
    const issuerDids = authority.identities.map((i) => i.did);
    if (credential.issuer !== undefined && !issuerDids.includes(idOf(credential.issuer) ?? '')) {
      throw new HttpProblem(400, 'invalid_issuer', `issuer must be one of this authority's DIDs (${issuerDids.join(', ')}), as a URL or as an object's id (or left out)`);
    }
    if (dataModelVersion(credential) === '1.1' && options?.envelope === VC_JWT_MEDIA_TYPE)
      throw new HttpProblem(400, 'malformed_credential', `@context[0]: VC-JOSE (${VC_JWT_MEDIA_TYPE}) secures VCDM 2.0 credentials only`);
    // VCDM 1.1 requires an issuance date: the issuer's own date when the caller gives none.
    const dated = dataModelVersion(credential) === '1.1' && credential.issuanceDate === undefined ? { issuanceDate: new Date().toISOString() } : {};
    const candidate = { ...credential, ...dated, issuer: credential.issuer ?? ctx.did };
    const problems = checkCredentialDataModel(candidate, { versions: ['2.0', '1.1'] });
    if (credential.proof !== undefined) problems.push({ path: 'proof', message: 'must be absent: the issuer adds the proof' });
    if (problems.length > 0) refuse('malformed_credential', problems);
    const integrity = [...(await checkJsonLd(candidate, ctx.documentLoader)), ...checkRelatedResourceDigests(candidate, heldResourceDigests)];
    if (integrity.length > 0) refuse('malformed_credential', integrity);
    if (typeof credential.id === 'string' && (await authority.store.issuedById(credential.id))) {
      throw new HttpProblem(409, 'exists', `A credential with id ${credential.id} was already issued here`);
    }
    try {
      const record = await authority.issue(candidate as VerifiableCredential, options?.cryptosuite ? { cryptosuite: options.cryptosuite } : {});
      ctx.logger.info('credential issued', { id: record.id, types: record.types, subject: record.subjectDid });
      if (options?.envelope !== VC_JWT_MEDIA_TYPE) return c.json({ verifiableCredential: record.credential }, 201);
      // VC-JOSE: the same credential, its claims and status entry, secured as a JWS instead of a proof.
      const { proof: _proof, ...unsecured } = record.credential;
      const keyId = authority.identities.find((i) => i.did === idOf(unsecured.issuer))?.keyId ?? ctx.keyId;
      return c.json({ verifiableCredential: envelopedCredential(await signCredentialJwt(unsecured as VerifiableCredential, keyId, ctx.key.privateKey)) }, 201);
    } catch (error) {
      if (error instanceof CredentialDataModelError)
        throw new HttpProblem(
          400,
          'malformed_credential',
          error.message,
          error.problems.map((p) => `${p.path}: ${p.message}`),
        );
      if (error instanceof JsonLdError) throw new HttpProblem(400, 'malformed_credential', error.message);
      throw error;
    }
  });
  app.get('/status/:listId', async (c) => {
    const list = await authority.publishedStatusList(c.req.param('listId'));
    if (!list) throw new HttpProblem(404, 'not_found', `No status list ${c.req.param('listId')}`);
    c.header('Cache-Control', 'max-age=0, must-revalidate');
    return c.body(JSON.stringify(list), 200, { 'content-type': 'application/vc+ld+json' });
  });
  return app;
}
