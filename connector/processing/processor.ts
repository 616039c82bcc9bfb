import type { Logger } from '../logger.ts';
import type { MetricsRegistry } from '../http/metrics.ts';
import type { ClaimedWork, WorkQueueStore } from '../storage/work-queue-store.ts';

/**
 * Runs one action for a claimed process. It re-reads the process, does the slow part (peer calls, signing)
 * outside any transaction, then moves the process on in one transaction that also says what is owed next.
 * Throwing retries the action later with back-off; returning without scheduling anything finishes it.
 */
export type ProcessAction = (id: string, work: { attempts: number; renewLease: () => Promise<boolean>; leaseMs: number; signal: AbortSignal }) => Promise<void>;

/**
 * Runs around every action of a processor: `run` does the action as usual. A conformance fixture scripts
 * its reactions here (act after, or instead); production connectors install none.
 */
export type ActionHook = (processor: string, action: string, id: string, run: () => Promise<void>) => Promise<void>;

export interface ProcessorOptions {
  /** Names this sender in leases; stable per installation, so a restarted process takes its leases back at once. */
  owner: string;
  pollMs?: number;
  leaseMs?: number;
  /** Actions run at once. */
  concurrency?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  around?: ActionHook;
}

export interface Processor {
  /** Looks for due work now (called after a transaction that scheduled some), not only at the next poll. */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
  /** Actions running in this process now. */
  running(): number;
}

/**
 * The control plane's worker loop for one process table: claims due processes with a lease, runs the
 * action each one is owed, and polls so work scheduled by another replica, or left by a crash, is picked up.
 *
 * @example
 * const processor = createProcessor('negotiation', queue, { decide, agree }, { owner }, { logger, metrics });
 * processor.start();
 */
export function createProcessor(
  name: string,
  queue: WorkQueueStore,
  actions: Record<string, ProcessAction>,
  options: ProcessorOptions,
  deps: { logger: Logger; metrics: MetricsRegistry },
): Processor {
  const pollMs = options.pollMs ?? 500;
  const leaseMs = options.leaseMs ?? 60_000;
  const concurrency = options.concurrency ?? 8;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const inFlight = new Map<string, Promise<void>>();
  const done = deps.metrics.counter(`hdc_${name}_actions_total`, `Control-plane actions run for ${name} processes, by action and outcome`);
  let stopped = true;
  let reclaimOwn = true;
  let timer: NodeJS.Timeout | undefined;
  let claiming: Promise<void> | undefined;
  let wakeRequested = false;
  let stopping = new AbortController();

  async function run(work: ClaimedWork): Promise<void> {
    const action = actions[work.action];
    const renewLease = () => queue.renew(work.id, options.owner, new Date(Date.now() + leaseMs));
    if (!action) {
      deps.logger.error('no processor for a scheduled action', { processor: name, process: work.id, action: work.action });
      await queue.retry(work.id, options.owner, work.action, new Date(Date.now() + retryMaxMs), `no action ${work.action}`);
      return;
    }
    try {
      const runAction = () => action(work.id, { attempts: work.attempts, renewLease, leaseMs, signal: stopping.signal });
      await (options.around ? options.around(name, work.action, work.id, runAction) : runAction());
      await queue.finish(work.id, options.owner, work.action);
      done.inc({ action: work.action, outcome: 'done' });
    } catch (error) {
      if (stopping.signal.aborted) return; // shutting down: the lease is reclaimed at the next start
      const delay = Math.min(retryMaxMs, retryBaseMs * 2 ** work.attempts) * (0.75 + Math.random() * 0.5);
      deps.logger.warn('control-plane action failed; it will be retried', { processor: name, process: work.id, action: work.action, attempt: work.attempts + 1, error });
      done.inc({ action: work.action, outcome: 'retry' });
      await queue.retry(work.id, options.owner, work.action, new Date(Date.now() + delay), (error as Error).message ?? String(error));
    }
  }

  async function claimRound(): Promise<void> {
    const now = new Date();
    const claimed = await queue.claim(options.owner, concurrency - inFlight.size, now, new Date(now.getTime() + leaseMs), reclaimOwn);
    reclaimOwn = false;
    for (const work of claimed) {
      // Scheduled again by its own running action: let that finish, then claim it afresh.
      if (inFlight.has(work.id)) {
        await queue.release(work.id, options.owner);
        continue;
      }
      const job = run(work)
        .catch((error) => deps.logger.error('control-plane action bookkeeping failed', { processor: name, process: work.id, error }))
        .finally(() => {
          inFlight.delete(work.id);
          tick();
        });
      inFlight.set(work.id, job);
    }
  }

  function schedule(delay: number) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(tick, delay);
    timer.unref();
  }

  function tick() {
    if (stopped) return;
    if (claiming || inFlight.size >= concurrency) {
      wakeRequested = true;
      return;
    }
    claiming = claimRound()
      .catch((error) => deps.logger.error('control-plane claim failed', { processor: name, error }))
      .finally(() => {
        claiming = undefined;
        const again = wakeRequested;
        wakeRequested = false;
        schedule(again ? 0 : pollMs);
      });
  }

  return {
    wake: () => {
      if (!stopped) setImmediate(tick);
    },
    start() {
      if (!stopped) return;
      stopped = false;
      reclaimOwn = true;
      stopping = new AbortController();
      schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      stopping.abort();
      await claiming;
      await Promise.allSettled([...inFlight.values()]);
    },
    running: () => inFlight.size,
  };
}
