import type { ActionHook } from '../../connector/processing/processor.ts';
import type { Services } from '../../connector/services.ts';
import type { Logger } from '../../connector/logger.ts';
import type { MessageOffer } from '../../contracts/negotiation/messages.ts';
import { testsOf, type TckSettings } from './settings.ts';
import {
  CONSUMER_NEGOTIATIONS,
  CONSUMER_TRANSFERS,
  PROVIDER_NEGOTIATIONS,
  PROVIDER_TRANSFERS,
  type ConsumerNegotiationScript,
  type ConsumerTransferScript,
  type ProviderNegotiationScript,
  type ProviderTransferScript,
  type TransferStep,
} from './script.ts';

/** How long the fixture waits before a scripted step: the TCK records our answer before our next message (README §6.6). */
export const REACTION_DELAY_MS = 300;
const WATCH_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function byId<T>(settings: TckSettings, group: string, field: string, table: Record<string, T>): Map<string, T> {
  const map = new Map<string, T>();
  for (const [key, ids] of testsOf(settings, group)) if (ids[field] && table[key]) map.set(ids[field]!, table[key]!);
  return map;
}

/**
 * The fixture's scripted reactions: provider decisions and transfer starts run through the processors'
 * action hook (act after the action, or instead of it); consumer processes the fixture started from a
 * trigger are watched until they end. Everything goes through the connector's own service actions.
 */
export function createReactor(settings: TckSettings, logger: Logger) {
  const providerNegotiations = byId<ProviderNegotiationScript>(settings, 'CN', 'DATASETID', PROVIDER_NEGOTIATIONS);
  const consumerNegotiations = byId<ConsumerNegotiationScript>(settings, 'CN_C', 'DATASETID', CONSUMER_NEGOTIATIONS);
  const providerTransfers = byId<ProviderTransferScript>(settings, 'TP', 'AGREEMENTID', PROVIDER_TRANSFERS);
  const consumerTransfers = byId<ConsumerTransferScript>(settings, 'TP_C', 'AGREEMENTID', CONSUMER_TRANSFERS);
  const decisions = new Map<string, number>();
  let services: Services | undefined;
  let stopped = false;
  const later = (what: string, id: string, step: () => Promise<unknown>) =>
    void sleep(REACTION_DELAY_MS)
      .then(() => (stopped ? undefined : step()))
      .catch((error) => logger.warn('scripted step failed', { what, id, error }));

  async function transferSteps(id: string, steps: TransferStep[]) {
    const { transfers } = services!;
    for (const step of steps) {
      await sleep(REACTION_DELAY_MS);
      if (stopped) return;
      if (step === 'terminate') await transfers.terminate(id, 'scripted by the TCK fixture');
      if (step === 'complete') await transfers.complete(id);
      if (step === 'suspend') await transfers.suspend(id, 'scripted by the TCK fixture');
      if (step === 'resume') await transfers.resume(id);
    }
  }

  async function decided(id: string) {
    const { negotiations, catalog } = services!;
    const n = await negotiations.store.get(id);
    if (n?.role !== 'provider' || n.state !== 'REQUESTED' || n.pending !== 'approval') return;
    const occurrence = decisions.get(id) ?? 0;
    decisions.set(id, occurrence + 1);
    const script = providerNegotiations.get(n.datasetId);
    const reaction = script ? (script.requested[occurrence] ?? 'nothing') : 'agree';
    const offer = async () => negotiations.counter(id, (await catalog.offers.findOffer(n.offer['@id']))?.offer ?? n.offer);
    if (reaction === 'offer') later('offer', id, offer);
    if (reaction === 'agree') later('agree', id, () => negotiations.approve(id, true));
    if (reaction === 'terminate') later('terminate', id, () => negotiations.terminate(id, 'scripted by the TCK fixture'));
    if (reaction === 'offer-then-terminate')
      later('offer, terminate', id, async () => {
        await offer();
        await sleep(REACTION_DELAY_MS);
        await negotiations.terminate(id, 'scripted by the TCK fixture');
      });
  }

  const aroundAction: ActionHook = async (processor, action, id, run) => {
    if (!services) return run();
    if (processor === 'negotiation') {
      const n = await services.negotiations.store.get(id);
      const script = n?.role === 'provider' ? providerNegotiations.get(n.datasetId) : undefined;
      const instead = (action === 'agree' && n?.state === 'ACCEPTED' && script?.accepted) || (action === 'finalize' && script?.verified);
      if (instead === 'terminate') return later('terminate', id, () => services!.negotiations.terminate(id, 'scripted by the TCK fixture'));
      if (instead === 'nothing') return;
      await run();
      if (action === 'decide') await decided(id);
      return;
    }
    const t = await services.transfers.store.get(id);
    if (t?.role === 'consumer' && action === 'pull') {
      // The TCK's data address is a placeholder: never pull; play the consumer's scripted part instead.
      const steps = consumerTransfers.get(t.agreementId)?.started;
      if (steps) void transferSteps(id, steps).catch((error) => logger.warn('scripted transfer failed', { id, error }));
      return;
    }
    const script = t?.role === 'provider' && action === 'start' ? providerTransfers.get(t.agreementId) : undefined;
    if (script?.requested === 'nothing') return;
    if (script?.requested === 'terminate') return later('terminate', id, () => services!.transfers.terminate(id, 'scripted by the TCK fixture'));
    await run();
    if (script?.started) void transferSteps(id, script.started).catch((error) => logger.warn('scripted transfer failed', { id, error }));
  };

  /** Plays the consumer's part of a negotiation started from the trigger, until it ends. */
  async function watchNegotiation(id: string, datasetId: string) {
    const { negotiations } = services!;
    const script = consumerNegotiations.get(datasetId) ?? { offered: 'accept', agreed: 'verify' };
    const done = new Set<string>();
    const deadline = Date.now() + settings.waitSeconds * 4000;
    while (Date.now() < deadline && !stopped) {
      await sleep(WATCH_MS);
      if (stopped) return;
      const n = await negotiations.store.get(id);
      if (!n || n.state === 'FINALIZED' || n.state === 'TERMINATED') return;
      const moment = `${n.state}:${n.updatedAt}`;
      if (done.has(moment)) continue;
      const reaction =
        n.state === 'REQUESTED' && n.providerPid
          ? script.requested
          : n.state === 'OFFERED'
            ? script.offered
            : n.state === 'AGREED' && n.pending === 'review'
              ? script.agreed
              : undefined;
      if (!reaction) continue;
      done.add(moment);
      await sleep(REACTION_DELAY_MS);
      if (reaction === 'accept') await negotiations.accept(id);
      if (reaction === 'counter') await negotiations.counter(id, n.offer as MessageOffer);
      if (reaction === 'verify') await negotiations.verifyAgreement(id);
      if (reaction === 'terminate') await negotiations.terminate(id, 'scripted by the TCK fixture');
    }
  }

  /** Terminates a transfer started from the trigger once the provider's pid is known, when its script says so. */
  async function watchTransfer(id: string, agreementId: string) {
    if (consumerTransfers.get(agreementId)?.requested !== 'terminate') return;
    const deadline = Date.now() + settings.waitSeconds * 1000;
    while (Date.now() < deadline && !stopped) {
      await sleep(WATCH_MS);
      if (stopped) return;
      const t = await services!.transfers.store.get(id);
      if (t?.state !== 'REQUESTED') return;
      if (!t.providerPid) continue;
      await sleep(REACTION_DELAY_MS);
      await services!.transfers.terminate(id, 'scripted by the TCK fixture');
      return;
    }
  }

  const watch = (what: string, id: string, run: Promise<void>) => void run.catch((error) => logger.warn(`scripted ${what} failed`, { id, error }));
  return {
    aroundAction,
    attach(running: Services) {
      services = running;
    },
    /** Ends every watch and scripted step (before the connector stops). */
    stop() {
      stopped = true;
    },
    watchNegotiation: (id: string, datasetId: string) => watch('negotiation', id, watchNegotiation(id, datasetId)),
    watchTransfer: (id: string, agreementId: string) => watch('transfer', id, watchTransfer(id, agreementId)),
  };
}

export type Reactor = ReturnType<typeof createReactor>;
