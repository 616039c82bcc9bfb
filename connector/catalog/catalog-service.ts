import type { ConnectorContext } from '../context.ts';
import { catalogStore } from '../storage/catalog-store.ts';
import { prepareDataset, type PublishedDataset } from '../../catalog/publication.ts';
import { catalogHost, type CatalogHost } from '../../catalog/rdf.ts';
import { catalogToDsp } from '../../catalog/dsp.ts';
import { DataSource, type Dataset } from '../../catalog/dataset.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { fetchCallerCredentials } from '../trust/presentation-client.ts';
import { scopeForType } from '../trust/scopes.ts';
import type { Caller } from '../trust/trust-services.ts';
import type { OfferCatalog } from '../negotiation/ports.ts';
import { egressFor } from '../egress/connector-egress.ts';
import { EgressError } from '../egress/egress-error.ts';
import { DataSourceError, resolveDataSource, sizeOf } from './data-source.ts';

const PAGE_CACHE_MS = 2000;
const PAGE_CACHE_ENTRIES = 200;
/** Encoded pages kept at most (a page of 100 datasets is about 1 MB): a crawl's pages leave once expired. */
const PAGE_CACHE_BYTES = 16 * 1024 * 1024;

export interface PageQuery {
  members: boolean;
  limit: number;
  offset?: number;
  after?: string;
  before?: string;
  text?: string;
}

export interface CatalogPage {
  /** The Catalog JSON, encoded once. */
  body: Uint8Array;
  firstId: string | undefined;
  lastId: string | undefined;
  hasNext: boolean;
  hasPrev: boolean;
}

/** This connector's catalog: registration (validated), lookups for negotiations, and who may see what. */
export function createCatalogService(ctx: ConnectorContext) {
  const store = catalogStore(ctx.database.db);
  const host: CatalogHost = catalogHost(ctx.config.publicUrl, ctx.did, ctx.config.name);

  /** Validates and stores a dataset; `id` is taken as given (a conformance fixture's plain ids), else the input's or a new one. */
  async function register(raw: unknown, previous?: Dataset, id?: string): Promise<PublishedDataset> {
    const source = DataSource.safeParse((raw as { source?: unknown } | null)?.source);
    const resolved = source.success ? resolveDataSource(ctx.config.dataRoot, source.data) : undefined;
    if (resolved?.kind === 'http') refuseUnreachable(resolved.url);
    const published = await prepareDataset(raw, host, {
      ...(previous ? { previous } : {}),
      ...(id ? { id } : {}),
      ...(resolved?.kind === 'file' ? { sourceBytes: sizeOf(resolved.path) } : {}),
    });
    await store.put(published);
    pages.clear();
    membersOnly = undefined;
    return published;
  }

  /** An http(s) source the egress guard would refuse is refused now, with the reason, not at the first transfer. */
  function refuseUnreachable(url: string) {
    try {
      egressFor(ctx.config).check(url);
    } catch (error) {
      if (error instanceof EgressError) throw new DataSourceError(`source.url may not be used: ${error.message} (see egress in the configuration)`);
      throw error;
    }
  }

  async function remove(id: string): Promise<boolean> {
    const removed = await store.remove(id);
    pages.clear();
    membersOnly = undefined;
    return removed;
  }

  /**
   * Whether an authenticated caller is an active member: a verified ParticipantCredential, presented for
   * this very request, says so. A caller that gave no access token, or whose verified presentation holds
   * no such credential, is not a member (the public view); one whose presentation does not verify (bad
   * proof, revoked or untrusted credential, wrong holder, no answer) is refused (`refused`), never quietly
   * served as a non-member. Nothing is cached per DID: a revoked membership counts from the next request.
   * With `catalogRequiredCredentials`, those types are asked for instead, and all of them must be presented.
   */
  async function membership(caller: Caller | undefined): Promise<{ member: boolean; refused?: undefined } | { refused: string }> {
    const required = ctx.config.catalogRequiredCredentials;
    if (!caller?.accessToken) return required.length > 0 ? { refused: 'the caller gave no access token to its credential service' } : { member: false };
    const types = required.length > 0 ? required : [CREDENTIAL_TYPE.participant];
    const presented = await fetchCallerCredentials(ctx, caller, types.map(scopeForType), { requireAll: required.length > 0 });
    if (!presented.verified) return { refused: presented.message };
    return { member: presented.credentials.some((c) => c.type.includes(CREDENTIAL_TYPE.participant) && c.credentialSubject.membershipStatus === 'active') };
  }

  /** Members-only datasets exist at all? Only then is a caller's membership worth a presentation query. */
  let membersOnly: { value: boolean; until: number } | undefined;
  async function hasMembersOnly(): Promise<boolean> {
    if (!membersOnly || membersOnly.until < Date.now()) membersOnly = { value: await store.anyMembersOnly(), until: Date.now() + PAGE_CACHE_MS };
    return membersOnly.value;
  }

  /**
   * Rendered catalog pages, reused until this process changes the catalog or PAGE_CACHE_MS passes (another
   * replica sharing the database may have changed it): a page request then costs its authentication only.
   */
  const pages = new Map<string, { value: CatalogPage; until: number }>();
  const header = JSON.stringify(catalogToDsp(host, []));
  /** One page of the DSP Catalog, as the bytes of its JSON; one row more than asked tells whether more follow. */
  async function page(query: PageQuery): Promise<CatalogPage> {
    const key = JSON.stringify(query);
    const cached = pages.get(key);
    if (cached && cached.until > Date.now()) return cached.value;
    const rows = await store.page('dsp', { ...query, limit: query.limit + 1 });
    // The extra row says whether more follow in the direction of travel.
    const more = rows.length > query.limit;
    const shown = query.before !== undefined ? rows.slice(more ? 1 : 0) : rows.slice(0, query.limit);
    const json = shown.length ? `${header.slice(0, -1)},"dataset":[${shown.map((r) => r.value).join(',')}]}` : header;
    const value: CatalogPage = {
      body: Buffer.from(json),
      firstId: shown[0]?.id,
      lastId: shown.at(-1)?.id,
      hasNext: query.before !== undefined ? shown.length > 0 : more,
      hasPrev: query.before !== undefined ? more : (query.offset ?? 0) > 0 || query.after !== undefined,
    };
    // Oldest first (a Map keeps insertion order): drop the expired, then as many as the bounds need.
    let bytes = value.body.byteLength;
    for (const cached of pages.values()) bytes += cached.value.body.byteLength;
    for (const [k, cached] of pages) {
      if (cached.until > Date.now() && pages.size < PAGE_CACHE_ENTRIES && bytes <= PAGE_CACHE_BYTES) break;
      pages.delete(k);
      bytes -= cached.value.body.byteLength;
    }
    pages.set(key, { value, until: Date.now() + PAGE_CACHE_MS });
    return value;
  }

  const offers: OfferCatalog = {
    async findOffer(offerId) {
      const dataset = await store.datasetOfOffer(offerId);
      const offer = dataset?.offers.find((o) => o['@id'] === offerId);
      if (!dataset || !offer) return undefined;
      return { datasetId: dataset.id, offer: { ...offer, target: dataset.id }, requiresApproval: dataset.requiresApproval, healthCategories: dataset.healthCategories };
    },
    async requiresApproval(datasetId) {
      return (await store.get(datasetId))?.requiresApproval ?? false;
    },
  };

  return { store, host, register, remove, page, membership, hasMembersOnly, offers };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
