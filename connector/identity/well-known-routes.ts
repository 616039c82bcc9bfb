import { Hono } from 'hono';
import type { ConnectorContext } from '../context.ts';

export const DSP_VERSION = '2025-1';
export const DSP_PATH = `/dsp/${DSP_VERSION}`;

/** The DID document (did:web) and the DSP version metadata. Both are public. */
export function wellKnownRoutes(ctx: ConnectorContext): Hono {
  const app = new Hono();
  const didDocument = JSON.stringify(ctx.didDocument);
  app.get('/.well-known/did.json', (c) => c.body(didDocument, 200, { 'content-type': 'application/did+json', 'cache-control': 'max-age=60' }));
  app.get('/.well-known/dspace-version', (c) =>
    c.json({
      protocolVersions: [
        {
          version: DSP_VERSION,
          path: DSP_PATH,
          binding: 'HTTPS',
          identifierType: 'did:web',
          serviceId: `${ctx.did}#dsp`,
          auth: { protocol: 'DCP', version: '1.0' },
        },
      ],
    }),
  );
  return app;
}
