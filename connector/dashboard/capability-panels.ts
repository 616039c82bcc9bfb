import { html } from 'hono/html';
import type { ConnectorContext } from '../context.ts';
import type { CatalogService } from '../catalog/catalog-service.ts';
import type { NegotiationService } from '../negotiation/negotiation-service.ts';
import type { TransferService } from '../transfer/transfer-service.ts';
import { awaitsApproval } from '../transfer/transfer-actions.ts';
import type { Transfer } from '../../contracts/transfer/transfer.ts';
import { listTable } from './layout.ts';
import { tierOf } from '../../catalog/dataset.ts';
import { formatBytes } from '../data-plane/format-bytes.ts';
import type { ReleaseReport } from '../../health/report.ts';

const RECENT = 8;
const short = (id: string) => (id.length > 22 ? `${id.slice(0, 21)}…` : id);
/** Processes (negotiations, transfers): how many are in each state, then the most recent ones. */
function processTable<T extends { state: string }>(all: T[], headers: string[], row: (item: T) => unknown[], empty: string) {
  const counts = new Map<string, number>();
  for (const { state } of all) counts.set(state, (counts.get(state) ?? 0) + 1);
  const summary = [...counts].map(([state, n]) => `${n} ${state}`).join(' · ') || 'none';
  return html`<p>${summary}</p>${listTable(headers, all.slice(0, RECENT).map(row), empty)}`;
}
const bytes = (n: number | null) => (n === null ? null : formatBytes(n));
/** A released transfer's report in one cell (counts only); the source as it is otherwise. */
const released = (report: ReleaseReport | null) =>
  report
    ? `${report.patients.released} of ${report.patients.source} patients, ${report.resources.released} of ${report.resources.source} resources (${report.consentModel})`
    : 'as published (no release rules)';

/** A transfer's state, with what it waits for: the steward's release (reviewTransfers), the operator's pull (pullOnStart off). */
function transferState(t: Transfer): string {
  if (t.deletedAt) return `${t.state} (data deleted)`;
  if (awaitsApproval(t)) return `${t.state} (awaits approval)`;
  if (t.role === 'consumer' && t.state === 'STARTED' && t.format === 'HttpData-PULL' && !t.nextAction && !t.receivedPath) return `${t.state} (awaits pull)`;
  if (t.digestVerified === false) return `${t.state} (digest not sent by the provider)`;
  return t.state;
}

/** The dashboard panels of the capabilities: datasets, negotiations, transfers, the wallet. */
export function addCapabilityPanels(ctx: ConnectorContext, parts: { catalog: CatalogService; negotiations: NegotiationService; transfers: TransferService }): void {
  ctx.dashboard.add({
    title: 'Datasets published',
    order: 20,
    async render() {
      const datasets = await parts.catalog.store.list({ limit: RECENT });
      const title = (t: Record<string, string>) => t.en ?? Object.values(t)[0];
      return listTable(
        ['title', 'access', 'offers'],
        datasets.map((d) => [title(d.title), tierOf(d), d.offers.length]),
        'No datasets yet (hdc datasets add <file.json>).',
      );
    },
  });
  ctx.dashboard.add({
    title: 'Negotiations',
    order: 30,
    async render() {
      return processTable(
        await parts.negotiations.store.list(),
        ['state', 'role', 'with', 'dataset'],
        (n) => [n.pending ? `${n.state} (awaits ${n.pending})` : n.state, n.role, short(n.counterpartyDid), short(n.datasetId)],
        'No negotiations yet.',
      );
    },
  });
  ctx.dashboard.add({
    title: 'Transfers',
    order: 40,
    async render() {
      return processTable(
        await parts.transfers.store.list(),
        ['state', 'role', 'with', 'bytes', 'released'],
        (t) => {
          const progress = parts.transfers.jobs.progress(t.id);
          const moved = t.state === 'STARTED' && progress ? `${bytes(progress.bytes)} of ${bytes(progress.total) ?? '?'}` : bytes(t.size);
          return [transferState(t), t.role, short(t.counterpartyDid), moved, released(t.release as ReleaseReport | null)];
        },
        'No transfers yet.',
      );
    },
  });
  ctx.dashboard.add({
    title: 'Wallet',
    order: 50,
    async render() {
      const held = await ctx.wallet.list();
      return listTable(
        ['credential', 'issuer', 'valid until', 'status'],
        held.slice(0, RECENT).map((c) => [c.types.at(-1), short(c.issuer), c.validUntil?.slice(0, 10), c.status]),
        'No credentials held (hdc wallet request).',
      );
    },
  });
}
