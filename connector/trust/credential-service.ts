import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem, problemResponse } from '../http/errors.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { TokenError } from '../../contracts/credentials/id-token.ts';
import { signPresentation } from '../../contracts/credentials/proofs.ts';
import { requireCaller } from './caller-auth.ts';
import { typeOfScope } from './scopes.ts';

export const DCP_CONTEXT = 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld';

const PresentationQueryMessage = z.object({
  '@context': z.array(z.string()).optional(),
  type: z.literal('PresentationQueryMessage'),
  scope: z.array(z.string().min(1)).min(1).optional(),
  presentationDefinition: z.unknown().optional(),
});

/**
 * The DCP credential service: a verifier that holds an access token this connector gave it (inside the
 * ID token of a DSP call) asks for credentials by scope, and gets a presentation signed by this connector,
 * bound to the verifier (domain = its DID) and to its request (challenge = its token's jti).
 */
export function credentialServiceRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  app.use(
    '/dcp/presentations/*',
    requireCaller(ctx.trust, (c, reason) => problemResponse(c, new HttpProblem(401, 'unauthorized', reason)), { trustProxy: ctx.config.trustProxy, logger: ctx.logger }),
  );
  app.post('/dcp/presentations/query', async (c) => {
    const caller = c.get('caller');
    const query = await parseJsonBody(c, PresentationQueryMessage);
    if (query.presentationDefinition !== undefined) throw new HttpProblem(400, 'unsupported', 'presentationDefinition queries are not supported; query by scope');
    if (!query.scope) throw new HttpProblem(400, 'invalid_request', 'scope is required');
    if (!caller.accessToken) throw new HttpProblem(401, 'unauthorized', 'the ID token carries no access token ("token" claim)');
    let granted: string[];
    try {
      granted = await ctx.trust.checkAccessToken(caller.accessToken, caller.did);
    } catch (error) {
      if (error instanceof TokenError) throw new HttpProblem(401, 'unauthorized', `access token refused: ${error.message}`);
      throw error;
    }
    const denied = query.scope.filter((s) => !granted.includes(s));
    if (denied.length > 0) throw new HttpProblem(403, 'forbidden', `the access token does not grant ${denied.join(', ')}`);
    const types = query.scope.map(typeOfScope);
    if (types.some((t) => t === undefined)) throw new HttpProblem(400, 'invalid_scope', 'scopes must have the form org.eclipse.dspace.dcp.vc.type:<Type>:read');
    const now = Date.now();
    const credentials = (await ctx.wallet.ofTypes(types as string[])).filter((vc) => !vc.validUntil || Date.parse(vc.validUntil) > now);
    const presentation = await signPresentation({
      credentials,
      signer: ctx.trust.signer,
      challenge: caller.tokenId,
      domain: caller.did,
      documentLoader: ctx.documentLoader,
      cryptosuite: ctx.config.proofCryptosuite,
    });
    ctx.logger.info('presentation given', { verifier: caller.did, scopes: query.scope, credentials: credentials.length });
    return c.json({ '@context': [DCP_CONTEXT], type: 'PresentationResponseMessage', presentation: [presentation] });
  });
  return app;
}
