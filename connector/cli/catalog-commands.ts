import { readFileSync } from 'node:fs';
import { parseManagementArgs } from './connection.ts';
import { UsageError } from './usage-error.ts';
import { subcommand } from './trust-commands.ts';

type Out = (line: string) => void;

export const DATASETS_USAGE = `Usage: hdc datasets <list|add|remove> [options]
  list
  add <dataset.json>      register a dataset (validated against the HealthDCAT-AP shapes of its tier)
  remove <id>`;

export const CATALOG_USAGE = `Usage: hdc catalog <search|show|crawl|peers> [options]
  search [words…] [--theme <iri>] [--category <iri>] [--publisher <name|iri>] [--spatial <iri>]
         [--access-rights <iri>] [--keyword <word>] [--provider <did>] [--limit <n>] [--cursor <next>]
                          every word prefixes a word of title, description or keywords; filters are exact
  show <datasetId> [--provider <did>]   the dataset's full description, from its provider
  crawl                   crawl every peer's catalog now
  peers                   the peers crawled and how their last crawl went`;

const FILTERS = {
  theme: 'theme',
  category: 'healthCategory',
  publisher: 'publisher',
  spatial: 'spatial',
  'access-rights': 'accessRights',
  keyword: 'keyword',
  provider: 'provider',
  limit: 'limit',
  cursor: 'cursor',
} as const;

type Hit = { datasetId: string; title: string; provider: { did: string; name: string | null; dspAddress: string }; offers: { '@id': string }[] };

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
  const options = Object.fromEntries(Object.keys(FILTERS).map((k) => [k, { type: 'string' }])) as Record<keyof typeof FILTERS, { type: 'string' }>;
  const { values, positionals, client } = parseManagementArgs(args, options, CATALOG_USAGE);
  const action = subcommand(positionals, ['search', 'show', 'crawl', 'peers'], CATALOG_USAGE);
  if (action === 'crawl') {
    const { peers } = await client.post<{ peers: { did: string; ok: boolean; datasets?: number; error?: string; cause?: string }[] }>('/catalog/crawl');
    for (const p of peers) out(p.ok ? `ok      ${p.did}: ${p.datasets} dataset(s)` : `failed  ${p.did}: ${p.error}${p.cause ? ` (${p.cause})` : ''}`);
    return peers.some((p) => !p.ok) ? 1 : 0;
  }
  if (action === 'peers') {
    const { peers } = await client.get<{
      peers: { did: string; name: string | null; datasetCount: number; lastSuccessAt: string | null; lastError: string | null; lastErrorCause: string | null }[];
    }>('/catalog/peers');
    if (peers.length === 0) out('No peer crawled yet; run "hdc catalog crawl".');
    for (const p of peers)
      out(
        `${p.name ?? p.did}\n  ${p.did}  ${p.datasetCount} dataset(s), last success ${p.lastSuccessAt ?? 'never'}${p.lastError ? `, last error: ${p.lastError}${p.lastErrorCause ? ` (${p.lastErrorCause})` : ''}` : ''}`,
      );
    return 0;
  }
  if (action === 'show') {
    const id = positionals[1];
    if (!id) throw new UsageError('Name the dataset id.', CATALOG_USAGE);
    out(JSON.stringify(await client.get(`/catalog/datasets/${encodeURIComponent(id)}${values.provider ? `?provider=${encodeURIComponent(values.provider)}` : ''}`), null, 2));
    return 0;
  }
  const query = new URLSearchParams();
  const words = positionals.slice(1).join(' ');
  if (words) query.set('q', words);
  for (const [option, parameter] of Object.entries(FILTERS)) {
    const value = values[option as keyof typeof FILTERS];
    if (typeof value === 'string') query.set(parameter, value);
  }
  const { hits, total, next } = await client.get<{ hits: Hit[]; total?: number; next?: string }>(`/catalog/search?${query}`);
  if (hits.length === 0) out('No dataset matches.');
  else if (total !== undefined) out(`${total} dataset(s) match.`);
  for (const h of hits)
    out(`${h.title}\n  dataset ${h.datasetId}\n  from    ${h.provider.name ?? h.provider.did} (${h.provider.dspAddress})\n  offers  ${h.offers.map((o) => o['@id']).join(', ')}`);
  if (next) out(`More: add --cursor ${next}`);
  return 0;
}
