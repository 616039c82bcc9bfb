import type { ConnectorContext } from '../context.ts';
import { catalogStore } from '../storage/catalog-store.ts';
import { prepareDataset, type PublishedDataset } from '../../catalog/publication.ts';
import type { CatalogHost } from '../../catalog/rdf.ts';
import { DataSource, type Dataset } from '../../catalog/dataset.ts';
import { CREDENTIAL_TYPE } from '../../contracts/credentials/model.ts';
import { fetchCallerCredentials } from '../trust/presentation-client.ts';
import { scopeForType } from '../trust/scopes.ts';
import type { Caller } from '../trust/trust-services.ts';
import type { OfferCatalog } from '../negotiation/ports.ts';
import { resolveDataSource, sizeOf } from './data-source.ts';

const MEMBERSHIP_TTL_MS = 60_000;

/** This connector's catalog: registration (validated), lookups for negotiations, and who may see what. */
export function createCatalogService(ctx: ConnectorContext) {
  const store = catalogStore(ctx.database.db);
  const host: CatalogHost = {
    catalogId: `${ctx.config.publicUrl}/catalog`,
    dspEndpoint: `${ctx.config.publicUrl}/dsp/2025-1`,
    dataServiceId: `${ctx.config.publicUrl}/dsp/2025-1#data-service`,
    participantId: ctx.did,
    publisherName: ctx.config.name,
  };
  const memberships = new Map<string, { member: boolean; until: number }>();

  async function register(raw: unknown, previous?: Dataset): Promise<PublishedDataset> {
    const source = DataSource.safeParse((raw as { source?: unknown } | null)?.source);
    const resolved = source.success ? resolveDataSource(ctx.config.dataRoot, source.data) : undefined;
    const published = await prepareDataset(raw, host, { ...(previous ? { previous } : {}), ...(resolved?.kind === 'file' ? { sourceBytes: sizeOf(resolved.path) } : {}) });
    await store.put(published);
    return published;
  }

  /** Whether an authenticated caller is an active member: a verified ParticipantCredential says so. */
  async function isMember(caller: Caller | undefined): Promise<boolean> {
    if (!caller) return false;
    const cached = memberships.get(caller.did);
    if (cached && cached.until > Date.now()) return cached.member;
    const presented = await fetchCallerCredentials(ctx, caller, [scopeForType(CREDENTIAL_TYPE.participant)]);
    const member = presented.verified && presented.credentials.some((c) => c.type.includes(CREDENTIAL_TYPE.participant) && c.credentialSubject.membershipStatus === 'active');
    memberships.set(caller.did, { member, until: Date.now() + MEMBERSHIP_TTL_MS });
    return member;
  }

  /** Members-only datasets exist at all? Only then is a caller's membership worth a presentation query. */
  async function hasMembersOnly(): Promise<boolean> {
    return (await store.count(true)) > (await store.count(false));
  }

  const offers: OfferCatalog = {
    async findOffer(offerId) {
      const dataset = await store.datasetOfOffer(offerId);
      const offer = dataset?.offers.find((o) => o['@id'] === offerId);
      if (!dataset || !offer) return undefined;
      return { datasetId: dataset.id, offer: { ...offer, target: dataset.id }, requiresApproval: dataset.requiresApproval, healthCategories: dataset.healthCategories };
    },
  };

  return { store, host, register, isMember, hasMembersOnly, offers };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
