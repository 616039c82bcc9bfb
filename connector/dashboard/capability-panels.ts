import { html } from 'hono/html';
import type { ConnectorContext } from '../context.ts';
import type { CatalogService } from '../catalog/catalog-service.ts';
import type { NegotiationService } from '../negotiation/negotiation-service.ts';
import type { TransferService } from '../transfer/transfer-service.ts';
import { listTable } from './layout.ts';
import { tierOf } from '../../catalog/dataset.ts';

const RECENT = 8;
const short = (id: string) => (id.length > 22 ? `${id.slice(0, 21)}…` : id);
const stateCounts = (states: string[]) => {
  const counts = new Map<string, number>();
  for (const s of states) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(' · ') || 'none';
};
const bytes = (n: number | null) => (n === null ? null : n >= 1024 ** 2 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

/** The dashboard panels of the capabilities: datasets, negotiations, transfers, the wallet. */
export function addCapabilityPanels(ctx: ConnectorContext, parts: { catalog: CatalogService; negotiations: NegotiationService; transfers: TransferService }): void {
  ctx.dashboard.add({
    title: 'Datasets published',
    order: 20,
    async render() {
      const datasets = await parts.catalog.store.list({ limit: RECENT });
      const title = (t: Record<string, string>) => t.en ?? Object.values(t)[0];
      return listTable(['title', 'access', 'offers'], datasets.map((d) => [title(d.title), tierOf(d), d.offers.length]), 'No datasets yet (hdc datasets add <file.json>).');
    },
  });
  ctx.dashboard.add({
    title: 'Negotiations',
    order: 30,
    async render() {
      const all = await parts.negotiations.store.list();
      return html`<p>${stateCounts(all.map((n) => n.state))}</p>${listTable(
        ['state', 'role', 'with', 'dataset'],
        all.slice(0, RECENT).map((n) => [n.pending ? `${n.state} (awaits ${n.pending})` : n.state, n.role, short(n.counterpartyDid), short(n.datasetId)]),
        'No negotiations yet.',
      )}`;
    },
  });
  ctx.dashboard.add({
    title: 'Transfers',
    order: 40,
    async render() {
      const all = await parts.transfers.store.list();
      return html`<p>${stateCounts(all.map((t) => t.state))}</p>${listTable(
        ['state', 'role', 'with', 'bytes'],
        all.slice(0, RECENT).map((t) => {
          const progress = parts.transfers.progress.get(t.id);
          const moved = t.state === 'STARTED' && progress ? `${bytes(progress.bytes)} of ${bytes(progress.total) ?? '?'}` : bytes(t.size);
          return [t.deletedAt ? `${t.state} (data deleted)` : t.state, t.role, short(t.counterpartyDid), moved];
        }),
        'No transfers yet.',
      )}`;
    },
  });
  ctx.dashboard.add({
    title: 'Wallet',
    order: 50,
    async render() {
      const held = await ctx.wallet.list();
      return listTable(['credential', 'issuer', 'valid until'], held.slice(0, RECENT).map((c) => [c.types.at(-1), short(c.issuer), c.validUntil?.slice(0, 10)]), 'No credentials held (hdc wallet request).');
    },
  });
}
