import type { Progress } from './pull.ts';

/**
 * The data plane's running jobs (pulls, pushes, pushes received) in this process: one at a time per
 * transfer, each with its progress and a way to stop it when the control plane moves the transfer on.
 */
export interface JobBoard {
  /** Claims the transfer's job slot; undefined when a job for it already runs here. */
  begin(transferId: string): AbortController | undefined;
  end(transferId: string, job: AbortController): void;
  /** Stops the transfer's running job, if any (suspended, terminated, completed elsewhere). */
  cancel(transferId: string): void;
  cancelAll(): void;
  running(transferId: string): boolean;
  progress(transferId: string): Progress | undefined;
  report(transferId: string, progress: Progress): void;
}

export function createJobBoard(): JobBoard {
  const jobs = new Map<string, AbortController>();
  const progress = new Map<string, Progress>();
  return {
    begin(transferId) {
      if (jobs.has(transferId)) return undefined;
      const job = new AbortController();
      jobs.set(transferId, job);
      return job;
    },
    end(transferId, job) {
      if (jobs.get(transferId) === job) jobs.delete(transferId);
    },
    cancel(transferId) {
      jobs.get(transferId)?.abort();
    },
    cancelAll() {
      for (const job of jobs.values()) job.abort();
    },
    running: (transferId) => jobs.has(transferId),
    progress: (transferId) => progress.get(transferId),
    report(transferId, p) {
      if (progress.size > 10_000) progress.clear();
      progress.set(transferId, p);
    },
  };
}
