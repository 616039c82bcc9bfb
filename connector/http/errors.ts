import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/**
 * An error meant for the client: its status, a stable code and a message that is safe to show.
 * Anything else that reaches the error handler becomes a 500 with no details.
 */
export class HttpProblem extends Error {
  override name = 'HttpProblem';
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly details: string[];
  constructor(status: ContentfulStatusCode, code: string, message: string, details: string[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** The management API's error body. DSP routes answer with the spec's error objects instead. */
export function problemResponse(c: Context, problem: HttpProblem) {
  return c.json(
    { error: { code: problem.code, message: problem.message, ...(problem.details.length ? { details: problem.details } : {}) }, requestId: c.get('requestId') },
    problem.status,
  );
}
