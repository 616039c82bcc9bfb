/**
 * A refusal of an incoming DSP message: its status, the reasons, and both pids where known, as the
 * protocol's error objects (ContractNegotiationError, TransferError) carry them. Each protocol subclasses it,
 * so its routes answer with their own error type.
 */
export class DspProblem extends Error {
  readonly status: 400 | 401 | 403 | 404 | 409;
  readonly reasons: string[];
  readonly pids: { providerPid?: string; consumerPid?: string };
  constructor(status: DspProblem['status'], reasons: string[], pids: { providerPid?: string | null; consumerPid?: string | null } = {}) {
    super(reasons.join('; '));
    this.status = status;
    this.reasons = reasons;
    this.pids = { ...(pids.providerPid ? { providerPid: pids.providerPid } : {}), ...(pids.consumerPid ? { consumerPid: pids.consumerPid } : {}) };
  }
}
