import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { catalogError } from '../../catalog/dsp.ts';
import { contractNegotiationError } from '../../contracts/negotiation/messages.ts';
import { transferError } from '../../contracts/transfer/messages.ts';
import { DSP_BASE_PATH } from './dsp-path.ts';
import type { ErrorCode } from '../../contracts/errors.ts';

/**
 * An error meant for the client: its status, a stable code and a message that is safe to show.
 * Anything else that reaches the error handler becomes a 500 with no details.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  readonly details: string[];
  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, details: string[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * The DSP error object for a problem on a DSP path (CatalogError, ContractNegotiationError, TransferError),
 * e.g. a 413 from the body limit or a 404 for an unknown route; undefined for paths outside DSP.
 */
export function dspErrorBody(path: string, status: number, reasons: string[]): Record<string, unknown> | undefined {
  if (!path.startsWith(`${DSP_BASE_PATH}/`)) return undefined;
  const protocol = path.slice(DSP_BASE_PATH.length + 1).split('/')[0];
  const fields = { code: String(status), reason: reasons };
  if (protocol === 'negotiations') return contractNegotiationError(fields);
  if (protocol === 'transfers') return transferError(fields);
  return catalogError(fields.code, fields.reason);
}

/** The management API's error body; on DSP paths the spec's error object, whatever the status (413, 415, 404…). */
export function problemResponse(c: Context, problem: HttpProblem) {
  const dsp = dspErrorBody(c.req.path, problem.status, [problem.message, ...problem.details]);
  if (dsp) return c.json(dsp, problem.status);
  return c.json(
    { error: { code: problem.code, message: problem.message, ...(problem.details.length ? { details: problem.details } : {}) }, requestId: c.get('requestId') },
    problem.status,
  );
}
