import { Hono } from 'hono';
import type { ConnectorContext } from '../context.ts';
import { HttpProblem, problemResponse } from '../http/errors.ts';
import { requireCaller } from '../trust/caller-auth.ts';
import { asArray, CREDENTIAL_TYPE, type VerifiableCredential } from '../../contracts/credentials/model.ts';
import type { NegotiationService } from './negotiation-service.ts';

/**
 * The agreement credential service (AGREEMENT_CREDENTIAL_SERVICE in the DID document): signed agreements
 * travel here, beside the plain DSP messages, between connectors that both sign them. The provider serves its
 * ContractAgreementCredential to the agreement's consumer, and takes the consumer's counter-signature, which
 * its finalize action verifies. Callers authenticate as on DSP endpoints; anyone but the consumer sees a 404.
 */
export function agreementCredentialRoutes(ctx: ConnectorContext, service: NegotiationService): Hono {
  const app = new Hono();
  app.use(
    '/agreements/*',
    requireCaller(ctx.trust, (c, reason) => problemResponse(c, new HttpProblem(401, 'unauthorized', reason)), { trustProxy: ctx.config.trustProxy, logger: ctx.logger }),
  );
  const providersAgreement = async (id: string, callerDid: string) => {
    const agreement = await service.store.agreement(id);
    if (agreement?.role !== 'provider' || agreement.consumerDid !== callerDid || !agreement.credential)
      throw new HttpProblem(404, 'not_found', `No agreement ${id} with ${callerDid}`);
    return agreement;
  };

  app.get('/agreements/:id/credential', async (c) => c.json((await providersAgreement(c.req.param('id'), c.get('caller').did)).credential));

  app.put('/agreements/:id/credential', async (c) => {
    const agreement = await providersAgreement(c.req.param('id'), c.get('caller').did);
    const negotiation = await service.store.get(agreement.negotiationId);
    if (negotiation?.state !== 'AGREED')
      throw new HttpProblem(409, 'invalid_state', `the negotiation is ${negotiation?.state ?? 'gone'}; a counter-signature is taken while it is AGREED`);
    let credential: VerifiableCredential;
    try {
      credential = await c.req.json();
    } catch {
      throw new HttpProblem(400, 'invalid_json', 'the body is not JSON');
    }
    const subject = credential?.credentialSubject as { agreementId?: unknown } | undefined;
    if (!asArray(credential?.type).includes(CREDENTIAL_TYPE.agreement) || subject?.agreementId !== agreement.id) {
      throw new HttpProblem(400, 'invalid_credential', `the body is not the ContractAgreementCredential of agreement ${agreement.id}`);
    }
    // Verified by the provider's finalize action, outside the request.
    await service.store.transaction((trx) => service.store.receivedCounterSigned(trx, agreement.id, credential));
    return c.body(null, 204);
  });
  return app;
}
