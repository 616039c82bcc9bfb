import { Hono } from 'hono';
import { z } from 'zod';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem, problemResponse } from '../http/errors.ts';
import { parseJsonBody } from '../http/openapi.ts';
import { TokenError } from '../../contracts/credentials/id-token.ts';
import { signJwtPresentation } from '../../contracts/credentials/jwt-credentials.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';
import { parsePresentationDefinition, PresentationDefinitionError, selectByDefinition, type PresentationDefinition } from '../../contracts/credentials/presentation-definition.ts';
import { signPresentation } from '../../contracts/credentials/proofs.ts';
import { requireCaller } from './caller-auth.ts';
import { credentialStorageRoutes } from './credential-storage-routes.ts';
import { typeOfScope } from './scopes.ts';
import { stsRoutes } from './sts-routes.ts';
import { credentialView, presentableNow } from './wallet-hygiene.ts';

export const DCP_CONTEXT = 'https://w3id.org/dspace-dcp/v1.0/dcp.jsonld';

const PresentationQueryMessage = z.object({
  '@context': z.array(z.string()).optional(),
  type: z.literal('PresentationQueryMessage'),
  scope: z.array(z.string().min(1).max(300)).max(50).optional(),
  presentationDefinition: z.unknown().optional(),
});

/** A presentation of the given credentials for the verifier: a JWT (vp claim) or a Data Integrity presentation. */
async function presentationFor(ctx: ConnectorContext, credentials: (VerifiableCredential | string)[], verifier: string, challenge: string, jwt: boolean) {
  // JWT credentials (as a DCP issuer or EDC issues them) only travel inside a JWT presentation.
  if (jwt || credentials.some((c) => typeof c === 'string')) {
    return signJwtPresentation({ holder: ctx.did, ...ctx.trust.jwtKey, audience: verifier, credentials, nonce: challenge });
  }
  return signPresentation({
    credentials: credentials as VerifiableCredential[],
    signer: ctx.trust.signer,
    challenge,
    domain: verifier,
    documentLoader: ctx.documentLoader,
    cryptosuite: ctx.config.proofCryptosuite,
  });
}

/** Whether a definition asks for JWT formats (`jwt_vp`, `jwt_vc_json`, the TCK's `vcdm11_jwt`, …). */
function asksForJwt(definition: PresentationDefinition): boolean {
  return definition.input_descriptors.some((d) => JSON.stringify(d.format ?? '').includes('jwt'));
}

/**
 * The DCP credential service (DCP 1.0 §5.4): a verifier that holds an access token this connector gave it
 * (inside the ID token of a DSP call, or from its STS) asks for credentials by scope or by presentation
 * definition, and gets a presentation signed by this connector, bound to the verifier (domain / aud = its
 * DID) and to its request (challenge / nonce = its token's jti). Only what the access token grants is
 * presented: a query for more gets the granted part. Only credentials valid now are presented.
 */
export function credentialServiceRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  const unauthenticated = (c: Parameters<typeof problemResponse>[0], reason: string) => problemResponse(c, new HttpProblem(401, 'unauthorized', reason));
  app.use('/dcp/presentations/*', requireCaller(ctx.trust, unauthenticated, { trustProxy: ctx.config.trustProxy, logger: ctx.logger }));
  app.post('/dcp/presentations/query', async (c) => {
    const caller = c.get('caller');
    const query = await parseJsonBody(c, PresentationQueryMessage);
    const byDefinition = query.presentationDefinition !== undefined && query.presentationDefinition !== null;
    if (byDefinition && query.scope) throw new HttpProblem(400, 'invalid_request', 'a query has either a scope or a presentationDefinition, not both');
    if (!byDefinition && (!query.scope || query.scope.length === 0)) throw new HttpProblem(400, 'invalid_request', 'a query needs a non-empty scope or a presentationDefinition');
    let definition: PresentationDefinition | undefined;
    try {
      definition = byDefinition ? parsePresentationDefinition(query.presentationDefinition) : undefined;
    } catch (error) {
      if (error instanceof PresentationDefinitionError) throw new HttpProblem(400, 'invalid_presentation_definition', error.message);
      throw error;
    }
    const requestedTypes = (query.scope ?? []).map(typeOfScope);
    if (requestedTypes.some((t) => t === undefined)) throw new HttpProblem(400, 'invalid_scope', 'scopes must have the form org.eclipse.dspace.dcp.vc.type:<Type>:read');
    if (!caller.accessToken) throw new HttpProblem(401, 'unauthorized', 'the ID token carries no access token ("token" claim)');
    let granted: string[];
    try {
      granted = await ctx.trust.checkAccessToken(caller.accessToken, caller.did);
    } catch (error) {
      if (error instanceof TokenError) throw new HttpProblem(401, 'unauthorized', `access token refused: ${error.message}`);
      throw error;
    }
    const grantedTypes = granted.map(typeOfScope).filter((t): t is string => t !== undefined);
    const types = definition ? grantedTypes : (requestedTypes as string[]).filter((t) => grantedTypes.includes(t));
    if (types.length === 0) throw new HttpProblem(403, 'forbidden', 'the access token grants none of the requested credential types');
    // A credential is presented only when the token grants every one of its types (beyond VerifiableCredential).
    let held = (await ctx.wallet.ofTypes(types)).filter((h) => h.types.every((t) => t === 'VerifiableCredential' || grantedTypes.includes(t)));
    if (definition) {
      const candidates = held.map((h) => ({ credential: (credentialView(h.credential) ?? {}) as Record<string, unknown>, item: h }));
      held = selectByDefinition(definition, candidates);
    }
    const credentials = await presentableNow(ctx, held);
    const jwt = ctx.config.presentationFormat === 'jwt' || (definition !== undefined && asksForJwt(definition));
    const presentation = await presentationFor(ctx, credentials, caller.did, caller.tokenId, jwt);
    ctx.logger.info('presentation given', { verifier: caller.did, scopes: query.scope, definition: definition?.id, credentials: credentials.length });
    return c.json({ '@context': [DCP_CONTEXT], type: 'PresentationResponseMessage', presentation: [presentation] });
  });
  app.route('/', credentialStorageRoutes(ctx, unauthenticated));
  app.route('/', stsRoutes(ctx));
  return app;
}
