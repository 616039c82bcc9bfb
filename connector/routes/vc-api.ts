import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem } from '../http/errors.ts';
import { apiKeyAuth } from '../http/middleware.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { checkCredentialDataModel, checkDataspaceClaims, describeProblems } from '../../contracts/credentials/data-model.ts';
import { CredentialDataModelError } from '../../contracts/credentials/proofs.ts';
import type { Rejection } from '../../contracts/credentials/verifier.ts';
import type { VerifiableCredential, VerifiablePresentation } from '../../contracts/credentials/model.ts';
import type { Authority } from '../trust/authority.ts';

const IssueRequest = z.object({ credential: z.record(z.string(), z.unknown()), options: z.record(z.string(), z.unknown()).optional() });
const VerifyCredentialRequest = z.object({ verifiableCredential: z.record(z.string(), z.unknown()), options: z.record(z.string(), z.unknown()).optional() });
const VerifyPresentationRequest = z.object({
  verifiablePresentation: z.record(z.string(), z.unknown()),
  options: z.object({ challenge: z.string().min(1), domain: z.string().min(1) }),
});

/** A VC-API verification answer: 200 when verified, 400 with the reason when not. */
function verificationResponse(c: Context, result: { verified: true } | ({ verified: false } & Rejection), checks: string[]) {
  if (result.verified) return c.json({ verified: true, checks, warnings: [], errors: [] }, 200);
  const { code, message, credentialId } = result;
  return c.json({ verified: false, checks, warnings: [], errors: [{ code, message, ...(credentialId ? { credentialId } : {}) }] }, 400);
}

/**
 * The W3C VC-API: every connector verifies credentials and presentations for its operator's tools;
 * a governance authority also issues (behind the management API key) and publishes its status lists.
 */
export function vcApiRoutes(ctx: ConnectorContext, authority?: Authority): Hono {
  const app = new Hono();
  app.post('/credentials/verify', async (c) => {
    const { verifiableCredential } = await parseJsonBody(c, VerifyCredentialRequest);
    const problems = checkCredentialDataModel(verifiableCredential);
    if (problems.length > 0) throw new HttpProblem(400, 'malformed_credential', describeProblems(problems), problems.map((p) => `${p.path}: ${p.message}`));
    const result = await ctx.trust.verifier.verifyCredential(verifiableCredential as VerifiableCredential);
    return verificationResponse(c, result, ['proof', 'issuer', 'validity', 'status']);
  });
  app.post('/presentations/verify', async (c) => {
    const { verifiablePresentation, options } = await parseJsonBody(c, VerifyPresentationRequest);
    const result = await ctx.trust.verifier.verifyPresentation(verifiablePresentation as unknown as VerifiablePresentation, { challenge: options.challenge, domain: options.domain });
    return verificationResponse(c, result, ['proof', 'challenge', 'domain', 'holder', 'credentials']);
  });
  if (!authority) return app;

  app.use('/credentials/issue', apiKeyAuth(ctx.apiKey));
  app.post('/credentials/issue', async (c) => {
    const { credential } = await parseJsonBody(c, IssueRequest);
    if (credential.issuer !== undefined && credential.issuer !== ctx.did && (credential.issuer as { id?: unknown })?.id !== ctx.did) {
      throw new HttpProblem(400, 'invalid_issuer', `issuer must be this authority's DID ${ctx.did} (or left out)`);
    }
    if (credential.credentialStatus !== undefined) throw new HttpProblem(400, 'invalid_credential', 'credentialStatus must be absent: the authority assigns it');
    const candidate = { ...credential, issuer: ctx.did };
    const problems = [...checkCredentialDataModel(candidate), ...checkDataspaceClaims(candidate)];
    if (problems.length > 0) throw new HttpProblem(400, 'malformed_credential', describeProblems(problems), problems.map((p) => `${p.path}: ${p.message}`));
    try {
      const record = await authority.issue(candidate as VerifiableCredential);
      ctx.logger.info('credential issued', { id: record.id, types: record.types, subject: record.subjectDid });
      return c.json({ verifiableCredential: record.credential }, 201);
    } catch (error) {
      if (error instanceof CredentialDataModelError) throw new HttpProblem(400, 'malformed_credential', error.message);
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
