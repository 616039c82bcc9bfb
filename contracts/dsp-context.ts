import { z } from 'zod';
import { bundledContext } from '../vocab/contexts.ts';
import { CONTEXT } from '../vocab/namespaces.ts';

/** The top-level terms of the (protected) DSP 2025-1 context and their definitions. */
let dspTopLevel: Record<string, unknown> | undefined;

/**
 * The DSP terms an inline context object redefines (differently; an identical definition is allowed), which
 * a JSON-LD processor refuses. Type-scoped DSP terms (consumerPid…) win inside their typed objects anyway.
 */
function redefinedTerms(context: object): string[] {
  dspTopLevel ??= (bundledContext(CONTEXT.dspace) as { '@context': Record<string, unknown> })['@context'];
  return Object.entries(context)
    .filter(([term, definition]) => !term.startsWith('@') && term in dspTopLevel! && JSON.stringify(dspTopLevel![term]) !== JSON.stringify(definition))
    .map(([term]) => term);
}

/**
 * A DSP message's `@context`: an array whose first entry is the DSP 2025-1 context, optionally followed by
 * contexts of the sender's extensions: URLs (EDC's `https://w3id.org/edc/dspace/v0.0.1`, Tractus-X's auth and
 * Catena-X policy contexts) or inline objects (prefixes). The DSP context is `@protected`, so a later context
 * cannot change what a DSP term means: the message's DSP terms are read as DSP defines them, the extension's
 * own terms are ignored, and nothing is fetched. An inline context that redefines a DSP term is refused (a
 * JSON-LD processor would refuse the document too).
 *
 * @example
 * dspContextList.parse(['https://w3id.org/dspace/2025/1/context.jsonld', 'https://w3id.org/edc/dspace/v0.0.1']);
 */
export const dspContextList = z
  .array(z.union([z.string().min(1), z.record(z.string(), z.unknown())]))
  .min(1)
  .superRefine((contexts, ctx) => {
    if (contexts[0] !== CONTEXT.dspace) {
      ctx.addIssue({ code: 'custom', message: `@context must start with ${CONTEXT.dspace} (other contexts may follow it)` });
      return;
    }
    for (const [index, context] of contexts.entries()) {
      if (typeof context === 'string') continue;
      const redefined = redefinedTerms(context);
      if (redefined.length > 0) ctx.addIssue({ code: 'custom', path: [index], message: `redefines the protected DSP term(s) ${redefined.join(', ')}` });
    }
  });
