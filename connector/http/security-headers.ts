import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

/**
 * Response headers that keep browsers from misusing the connector's pages and answers. The dashboard is
 * server-rendered HTML with no script and one inline stylesheet, so the CSP allows no script at all, inline
 * styles, same-origin forms, and no framing. HSTS only when the connector is published over https (a
 * browser would otherwise pin a development host to https).
 *
 * @example
 * app.use(securityHeaders({ publicUrl: ctx.config.publicUrl }));
 */
export function securityHeaders(options: { publicUrl: string }): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'none'"],
      styleSrc: ["'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    referrerPolicy: 'no-referrer',
    xFrameOptions: 'DENY',
    crossOriginResourcePolicy: 'same-origin',
    strictTransportSecurity: new URL(options.publicUrl).protocol === 'https:' ? 'max-age=31536000; includeSubDomains' : false,
  });
}
