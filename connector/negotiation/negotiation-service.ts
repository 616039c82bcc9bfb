import { EventEmitter } from 'node:events';
import type { Negotiation } from '../../contracts/negotiation/negotiation.ts';
import type { NegotiationStore } from '../storage/negotiation-store.ts';
import type { WorkQueueStore } from '../storage/work-queue-store.ts';
import { createProcessor, type ProcessorOptions } from '../processing/processor.ts';
import type { MetricsRegistry } from '../http/metrics.ts';
import { negotiationSteps, NEGOTIATION_KIND, type NegotiationDeps } from './negotiation-steps.ts';
import { negotiationHandlers } from './negotiation-handlers.ts';
import { negotiationActions } from './negotiation-actions.ts';
import { negotiationDelivery, negotiationProcessors } from './negotiation-processors.ts';

export { NegotiationProblem, NEGOTIATION_KIND } from './negotiation-steps.ts';

export interface NegotiationServiceParts extends Omit<NegotiationDeps, 'store' | 'wake'> {
  store: NegotiationStore;
  queue: WorkQueueStore;
  metrics: MetricsRegistry;
  processor: ProcessorOptions;
}

/**
 * DSP contract negotiation in both roles: the handlers of incoming messages, the local actions, and the
 * processor that runs what each negotiation is owed (decide, agree, verify, finalize). Start the processor
 * with `start()`; `stop()` lets running actions finish.
 */
export function createNegotiationService(parts: NegotiationServiceParts) {
  const store = withChangeNotices(parts.store);
  let wake = () => {};
  const deps: NegotiationDeps = { ...parts, store, wake: () => wake() };
  const steps = negotiationSteps(deps);
  const processor = createProcessor('negotiation', parts.queue, negotiationProcessors(deps, steps), parts.processor, { logger: parts.logger, metrics: parts.metrics });
  wake = processor.wake;
  parts.outbox.handle(NEGOTIATION_KIND, negotiationDelivery(deps, steps));
  return { store, ...negotiationHandlers(deps, steps), ...negotiationActions(deps, steps), processor };
}

/**
 * The store, with a notice to waiters after every committed change, so a management client can wait for
 * a state instead of polling. A change made by another process sharing the database is seen at the next check.
 */
function withChangeNotices(store: NegotiationStore) {
  const changed = new EventEmitter();
  changed.setMaxListeners(0);
  return {
    ...store,
    /** Wakes whoever waits for negotiation `id`. */
    notify: (id: string) => void changed.emit(id),
    /** Resolves with the negotiation once `done` holds, or as it is after `timeoutMs`. */
    async waitFor(id: string, done: (n: Negotiation) => boolean, timeoutMs: number): Promise<Negotiation | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const n = await store.get(id);
        if (!n || done(n) || Date.now() >= deadline) return n;
        await new Promise<void>((resolve) => {
          const finish = () => {
            clearTimeout(timer);
            changed.off(id, finish);
            resolve();
          };
          const timer = setTimeout(finish, Math.min(1000, deadline - Date.now()));
          changed.on(id, finish);
        });
      }
    },
  };
}

export type NegotiationService = ReturnType<typeof createNegotiationService>;
