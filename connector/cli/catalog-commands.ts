import { readFileSync } from 'node:fs';
import { parseManagementArgs } from './connection.ts';
import { UsageError } from './usage-error.ts';
import { subcommand } from './trust-commands.ts';

type Out = (line: string) => void;

export const DATASETS_USAGE = `Usage: hdc datasets <list|add|remove> [options]
  list
  add <dataset.json>      register a dataset (validated against the HealthDCAT-AP shapes of its tier)
  remove <id>`;

export const CATALOG_USAGE = `Usage: hdc catalog <search|crawl|peers> [options]
  search [words…] [--theme <iri>] [--category <iri>] [--publisher <name|iri>] [--spatial <iri>]
  crawl                   crawl every peer's catalog now
  peers                   the peers crawled and how their last crawl went`;

export async function datasetsCommand(args: string[], out: Out): Promise<number> {
  const { positionals, client } = parseManagementArgs(args, {}, DATASETS_USAGE);
  const action = subcommand(positionals, ['list', 'add', 'remove'], DATASETS_USAGE);
  if (action === 'list') {
    const { datasets } = await client.get<{ datasets: { id: string; title: Record<string, string>; tier: string; visibility: string; offers: string[] }[] }>('/datasets');
    if (datasets.length === 0) out('No datasets registered.');
    for (const d of datasets) out(`${d.tier.padEnd(9)} ${d.visibility.padEnd(7)} ${d.title.en ?? Object.values(d.title)[0]}\n  ${d.id}  offers: ${d.offers.join(', ')}`);
    return 0;
  }
  const target = positionals[1];
  if (!target) throw new UsageError(action === 'add' ? 'Name the dataset JSON file.' : 'Name the dataset id.', DATASETS_USAGE);
  if (action === 'remove') {
    await client.delete(`/datasets/${encodeURIComponent(target)}`);
    out(`Removed ${target}.`);
    return 0;
  }
  let body: unknown;
  try {
    body = JSON.parse(readFileSync(target, 'utf8'));
  } catch (error) {
    throw new UsageError(`Cannot read ${target} as JSON: ${(error as Error).message}`, DATASETS_USAGE);
  }
  const added = await client.post<{ id: string; tier: string }>('/datasets', body);
  out(`Registered ${added.id} (${added.tier} tier).`);
  return 0;
}

export async function catalogCommand(args: string[], out: Out): Promise<number> {
  const options = { theme: { type: 'string' }, category: { type: 'string' }, publisher: { type: 'string' }, spatial: { type: 'string' } } as const;
  const { values, positionals, client } = parseManagementArgs(args, options, CATALOG_USAGE);
  const action = subcommand(positionals, ['search', 'crawl', 'peers'], CATALOG_USAGE);
  if (action === 'crawl') {
    const { peers } = await client.post<{ peers: { did: string; ok: boolean; datasets?: number; error?: string }[] }>('/catalog/crawl');
    for (const p of peers) out(p.ok ? `ok      ${p.did}: ${p.datasets} dataset(s)` : `failed  ${p.did}: ${p.error}`);
    return peers.some((p) => !p.ok) ? 1 : 0;
  }
  if (action === 'peers') {
    const { peers } = await client.get<{ peers: { did: string; name: string | null; datasetCount: number; lastSuccessAt: string | null; lastError: string | null }[] }>('/catalog/peers');
    if (peers.length === 0) out('No peer crawled yet; run "hdc catalog crawl".');
    for (const p of peers) out(`${p.name ?? p.did}\n  ${p.did}  ${p.datasetCount} dataset(s), last success ${p.lastSuccessAt ?? 'never'}${p.lastError ? `, last error: ${p.lastError}` : ''}`);
    return 0;
  }
  const query = new URLSearchParams();
  const words = positionals.slice(1).join(' ');
  if (words) query.set('q', words);
  if (values.theme) query.set('theme', values.theme);
  if (values.category) query.set('healthCategory', values.category);
  if (values.publisher) query.set('publisher', values.publisher);
  if (values.spatial) query.set('spatial', values.spatial);
  const { hits } = await client.get<{ hits: { datasetId: string; title: string; provider: { did: string; name: string | null; dspAddress: string }; offers: { '@id': string }[] }[] }>(`/catalog/search?${query}`);
  if (hits.length === 0) out('No dataset matches.');
  for (const h of hits) out(`${h.title}\n  dataset ${h.datasetId}\n  from    ${h.provider.name ?? h.provider.did} (${h.provider.dspAddress})\n  offers  ${h.offers.map((o) => o['@id']).join(', ')}`);
  return 0;
}
