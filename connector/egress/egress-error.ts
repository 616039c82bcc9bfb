/**
 * Why an outbound request was refused or failed. Its message is ours and short (never the peer's answer),
 * so it is safe in our log; toward peers, callers answer with their own fixed reasons.
 */
export type EgressErrorCode = 'scheme' | 'address' | 'redirect' | 'tooLarge' | 'timeout' | 'unreachable';

export class EgressError extends Error {
  override name = 'EgressError';
  readonly code: EgressErrorCode;
  constructor(code: EgressErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
