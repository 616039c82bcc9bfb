import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch } from '../support/connectors.ts';
import type { ConsumerNegotiationScript, ConsumerTransferScript, ProviderNegotiationScript, ProviderTransferScript } from '../../scripts/tck/script.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const STEP_DELAY_MS = 300;

export interface OperatorScripts {
  /** By dataset id. */
  provider?: Map<string, ProviderNegotiationScript>;
  /** By dataset id. */
  consumer?: Map<string, ConsumerNegotiationScript>;
  /** By agreement id: the decision on a request held for review (reviewTransfers), then the steps once STARTED. */
  transfers?: Map<string, ProviderTransferScript>;
  /** By agreement id, at a consumer that waits for the operator's pull (pullOnStart off); `complete` there means: pull (the consumer completes once the data is in). */
  consumerTransfers?: Map<string, ConsumerTransferScript>;
  /** The offer a provider counter-offers, or a consumer counter-requests, for a dataset. */
  offerFor(datasetId: string, offerId: string): unknown;
}

/**
 * An operator at a normally configured connector, doing through its management API what a TCK scenario
 * expects of it (the fixture does the same in-process): decide requests held for approval (offer, agree,
 * terminate) and, with reviewNegotiationSteps, accepted offers (agree, terminate) and verified agreements
 * (finalize, terminate); accept, counter or terminate offers, verify or terminate agreements held for
 * review; approve or terminate transfer requests held for review (reviewTransfers); pull, complete,
 * suspend, resume or terminate started transfers. Polls; stop() ends it.
 */
export function startOperator(connector: RunningConnector, scripts: OperatorScripts) {
  let stopped = false;
  const seen = new Set<string>();
  const decisions = new Map<string, number>();
  const post = (path: string, body: unknown = {}) => managementFetch(connector, path, { method: 'POST', body: JSON.stringify(body) });
  const terminate = (kind: string, id: string) => post(`/${kind}/${encodeURIComponent(id)}/terminate`, { reason: 'scripted by the operator' });

  async function negotiation(n: any) {
    const id = encodeURIComponent(n.id);
    if (n.role === 'provider' && n.state === 'REQUESTED' && n.pending === 'approval') {
      const script = scripts.provider?.get(n.datasetId);
      if (!script) return;
      const occurrence = decisions.get(n.id) ?? 0;
      decisions.set(n.id, occurrence + 1);
      const reaction = script.requested[occurrence] ?? 'nothing';
      await sleep(STEP_DELAY_MS);
      if (reaction === 'offer' || reaction === 'offer-then-terminate') await post(`/negotiations/${id}/counter`, { offer: scripts.offerFor(n.datasetId, n.offerId) });
      if (reaction === 'offer-then-terminate') await sleep(STEP_DELAY_MS);
      if (reaction === 'agree') await post(`/negotiations/${id}/approve`);
      if (reaction === 'terminate' || reaction === 'offer-then-terminate') await terminate('negotiations', n.id);
      return;
    }
    if (n.role === 'provider' && (n.state === 'ACCEPTED' || n.state === 'VERIFIED') && n.pending === 'approval') {
      const script = scripts.provider?.get(n.datasetId);
      const reaction = n.state === 'ACCEPTED' ? (script?.accepted ?? 'agree') : (script?.verified ?? 'finalize');
      if (reaction === 'nothing') return;
      await sleep(STEP_DELAY_MS);
      if (reaction === 'terminate') await terminate('negotiations', n.id);
      else await post(`/negotiations/${id}/approve`);
      return;
    }
    const script = n.role === 'consumer' ? scripts.consumer?.get(n.datasetId) : undefined;
    const reaction =
      n.state === 'REQUESTED' && n.providerPid
        ? script?.requested
        : n.state === 'OFFERED'
          ? script?.offered
          : n.state === 'AGREED' && n.pending === 'review'
            ? script?.agreed
            : undefined;
    if (!reaction || reaction === 'nothing') return;
    await sleep(STEP_DELAY_MS);
    if (reaction === 'accept') await post(`/negotiations/${id}/accept`);
    if (reaction === 'counter') await post(`/negotiations/${id}/counter`, { offer: scripts.offerFor(n.datasetId, n.offerId) });
    if (reaction === 'verify') await post(`/negotiations/${id}/verify`);
    if (reaction === 'terminate') await terminate('negotiations', n.id);
  }

  async function transfer(t: any) {
    const once = (what: string) => !seen.has(`${what}:${t.id}`) && !!seen.add(`${what}:${t.id}`);
    const path = `/transfers/${encodeURIComponent(t.id)}`;
    if (t.role === 'provider' && t.pending === 'approval' && once('requested')) {
      const decision = scripts.transfers?.get(t.agreementId)?.requested ?? 'start';
      if (decision === 'nothing') return;
      await sleep(STEP_DELAY_MS);
      if (decision === 'terminate') await terminate('transfers', t.id);
      else await post(`${path}/approve`);
      return;
    }
    const consumer = t.role === 'consumer' ? scripts.consumerTransfers?.get(t.agreementId) : undefined;
    if (consumer?.requested && t.state === 'REQUESTED' && t.providerPid && once('requested')) {
      await sleep(STEP_DELAY_MS);
      await terminate('transfers', t.id);
      return;
    }
    const steps = t.state !== 'STARTED' ? undefined : t.role === 'provider' ? scripts.transfers?.get(t.agreementId)?.started : consumer?.started;
    if (!steps || !once('steps')) return;
    for (const step of steps) {
      await sleep(STEP_DELAY_MS);
      if (step === 'terminate') await terminate('transfers', t.id);
      else if (step === 'complete' && t.role === 'consumer') await post(`${path}/pull`);
      else await post(`${path}/${step}`, step === 'suspend' ? { reason: 'scripted by the operator' } : {});
    }
  }

  const loop = (async () => {
    while (!stopped) {
      await sleep(100);
      const [negotiations, transfers] = await Promise.all([
        managementFetch(connector, '/negotiations').then((r) => r.json() as Promise<{ negotiations: any[] }>),
        managementFetch(connector, '/transfers').then((r) => r.json() as Promise<{ transfers: any[] }>),
      ]).catch(() => [{ negotiations: [] }, { transfers: [] }] as const);
      for (const n of negotiations.negotiations) {
        const moment = `${n.id}:${n.state}:${n.pending}:${n.providerPid}:${n.updatedAt}`;
        if (seen.has(moment)) continue;
        seen.add(moment);
        void negotiation(n).catch(() => undefined);
      }
      for (const t of transfers.transfers) void transfer(t).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
