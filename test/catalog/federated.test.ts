import { beforeAll, describe, expect, it } from 'vitest';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { startFakePeer } from '../support/peer.ts';
import { admit, collectCredentials } from '../support/dataspace.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { exampleDataset, registerDataset } from './support.ts';

const DSP = 'https://w3id.org/dspace/2025/1/context.jsonld';

describe('federated catalog across live peers', () => {
  let authority: RunningConnector, hospitalA: RunningConnector, hospitalB: RunningConnector, institute: RunningConnector;
  let diabetes: any, oncology: any;
  const search = async (query: string) => (await jsonOf(await managementFetch(institute, `/catalog/search?${query}`))).hits;

  beforeAll(async () => {
    authority = await startTestConnector({ role: 'governance-authority', name: 'authority' });
    const trustedIssuers = [{ did: authority.did, credentialTypes: ['*'] }];
    const garbage = await startFakePeer(() => ({ status: 200, body: '{"this is": "not a catalog"' }));
    [hospitalA, hospitalB] = await Promise.all([
      startTestConnector({ role: 'hospital', name: 'hospital-a', trustedIssuers }),
      startTestConnector({ role: 'hospital', name: 'hospital-b', trustedIssuers }),
    ]);
    institute = await startTestConnector({
      role: 'research-institute',
      name: 'institute',
      trustedIssuers,
      peers: [
        { name: 'Hospital C (down)', did: 'did:web:127.0.0.1%3A9', dspAddress: 'http://127.0.0.1:9/dsp/2025-1' },
        { name: 'Garbage', did: `did:web:127.0.0.1%3A${new URL(garbage.url).port}`, dspAddress: `${garbage.url}/dsp/2025-1` },
      ],
    });
    await admit(authority, hospitalA, 'hospital');
    await admit(authority, hospitalB, 'hospital');
    await admit(authority, institute, 'research-institute');
    await collectCredentials(institute, authority);
    diabetes = exampleDataset(hospitalA);
    oncology = exampleDataset(hospitalB, {
      title: { en: 'Breast cancer registry extract' },
      description: { en: 'Tumour staging and treatment lines' },
      keywords: { en: ['oncology', 'registry'] },
      healthCategories: ['http://healthdataportal.eu/ns/health-category#REGISTRY'],
      spatial: ['http://publications.europa.eu/resource/authority/country/BEL'],
      publisher: { ...exampleDataset(hospitalB).publisher, name: 'Hôpital B' },
    });
    await registerDataset(hospitalA, diabetes);
    await registerDataset(hospitalB, oncology);
  });

  it('crawls the members the authority lists and the configured peers; a peer down or answering garbage is recorded and breaks nothing', async () => {
    const { peers } = await jsonOf(await managementFetch(institute, '/catalog/crawl', { method: 'POST' }));
    const byDid = Object.fromEntries(peers.map((p: any) => [p.did, p]));
    expect(byDid[hospitalA.did]).toMatchObject({ ok: true, datasets: 1 });
    expect(byDid[hospitalB.did]).toMatchObject({ ok: true, datasets: 1 });
    expect(byDid['did:web:127.0.0.1%3A9']).toMatchObject({ ok: false });
    expect(Object.values(byDid).filter((p: any) => !p.ok)).toHaveLength(2);
    expect(byDid[institute.did]).toBeUndefined();
    const status = (await jsonOf(await managementFetch(institute, '/catalog/peers'))).peers;
    expect(status.find((p: any) => p.name === 'Garbage').lastError).toMatch(/not JSON/);
  });

  it('searches the text of titles, descriptions and keywords, naming provider and DSP address', async () => {
    const hits = await search('q=diabetes');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ datasetId: diabetes.id, provider: { did: hospitalA.did, dspAddress: `${hospitalA.url}/dsp/2025-1` } });
    expect(hits[0].offers[0]['@id']).toBe(diabetes.offers[0]['@id']);
    expect(hits[0].facets).toEqual({
      themes: ['http://publications.europa.eu/resource/authority/data-theme/HEAL'],
      healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
      healthThemes: ['http://www.wikidata.org/entity/Q3025883'],
      publishers: ['Centre Hospitalier Example'],
      spatial: ['BEL', 'DEU', 'FRA', 'LUX'].map((c) => `http://publications.europa.eu/resource/authority/country/${c}`),
      accessRights: ['http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC'],
    });
    expect(hits[0].keywords).toEqual(['diabetes', 'HbA1c', 'glucose', 'FHIR', 'diabète']);
    expect((await search('q=tumour staging')).map((h: any) => h.datasetId)).toEqual([oncology.id]);
    expect(await search('q=nothing-like-this')).toEqual([]);
  });

  it('filters on theme, healthCategory, publisher and spatial', async () => {
    expect(await search('theme=http://publications.europa.eu/resource/authority/data-theme/HEAL')).toHaveLength(2);
    expect((await search(`healthCategory=${encodeURIComponent('http://healthdataportal.eu/ns/health-category#REGISTRY')}`)).map((h: any) => h.datasetId)).toEqual([oncology.id]);
    expect((await search(`publisher=${encodeURIComponent('hôpital b')}`)).map((h: any) => h.datasetId)).toEqual([oncology.id]);
    expect((await search('spatial=http://publications.europa.eu/resource/authority/country/LUX')).map((h: any) => h.datasetId)).toEqual([diabetes.id]);
  });

  it("opens a hit: the dataset's full DSP description, fetched from its provider", async () => {
    const response = await managementFetch(institute, `/catalog/datasets/${encodeURIComponent(oncology.id)}`);
    expect(response.status).toBe(200);
    const dataset = await jsonOf(response);
    expect(dataset).toMatchObject({ '@id': oncology.id, '@type': 'Dataset', hasPolicy: [{ '@id': oncology.offers[0]['@id'] }] });
    expect(dataset['dct:temporal']).toBeDefined();
    expect((await managementFetch(institute, '/catalog/datasets/urn%3Auuid%3Aunknown')).status).toBe(404);
  });

  it("replaces a provider's entries on its next successful crawl, and keeps them while it is down", async () => {
    await managementFetch(hospitalA, `/datasets/${encodeURIComponent(diabetes.id)}`, { method: 'DELETE' });
    const replacement = exampleDataset(hospitalA, { title: { en: 'Gestational diabetes follow-up' } });
    await registerDataset(hospitalA, replacement);
    await managementFetch(institute, '/catalog/crawl', { method: 'POST' });
    expect((await search('q=diabetes')).map((h: any) => h.datasetId)).toEqual([replacement.id]);
    expect((await managementFetch(institute, `/catalog/datasets/${encodeURIComponent(replacement.id)}`)).status).toBe(200);
    await hospitalA.close();
    const { peers } = await jsonOf(await managementFetch(institute, '/catalog/crawl', { method: 'POST' }));
    expect(peers.find((p: any) => p.did === hospitalA.did)).toMatchObject({ ok: false });
    expect((await search('q=diabetes')).map((h: any) => h.datasetId)).toEqual([replacement.id]);
    // Opened before, unchanged since: served from the cache while its provider is down.
    expect(await jsonOf(await managementFetch(institute, `/catalog/datasets/${encodeURIComponent(replacement.id)}`))).toMatchObject({ '@id': replacement.id });
  });
});

describe('catalog pagination and visibility', () => {
  let hospital: RunningConnector, member: RunningConnector, outsider: RunningConnector;
  const request = (who: RunningConnector, query = '') =>
    who.ctx.dspFetch({ url: `${hospital.url}/dsp/2025-1/catalog/request${query}`, audienceDid: hospital.did, body: { '@context': [DSP], '@type': 'CatalogRequestMessage' } });

  beforeAll(async () => {
    const authority = await startTestConnector({ role: 'governance-authority' });
    const trustedIssuers = [{ did: authority.did, credentialTypes: ['*'] }];
    [hospital, member, outsider] = await Promise.all([
      startTestConnector({ role: 'hospital', trustedIssuers }),
      startTestConnector({ role: 'research-institute', trustedIssuers }),
      startTestConnector({ role: 'research-institute', trustedIssuers }),
    ]);
    await admit(authority, member, 'research-institute');
    await collectCredentials(member, authority);
    for (let i = 0; i < 5; i++) await registerDataset(hospital, exampleDataset(hospital, { title: { en: `Cohort ${i}` } }));
    await registerDataset(hospital, exampleDataset(hospital, { title: { en: 'Members only cohort' }, visibility: 'members' }));
  });

  it('pages with Link rel="next" and rel="prev"', async () => {
    const seen: string[] = [];
    let url: string | undefined = '?limit=2';
    let pages = 0;
    while (url) {
      const response = await request(outsider, url.startsWith('?') ? url : `?${new URL(url).searchParams}`);
      const catalog = await jsonOf(response);
      seen.push(...(catalog.dataset ?? []).map((d: any) => d['@id']));
      const link = response.headers.get('link') ?? '';
      if (pages > 0) expect(link).toMatch(/rel="prev"/);
      url = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
  });

  it('tags each page with an ETag; a request whose If-None-Match matches gets 412 and no body (RFC 9110 for a POST)', async () => {
    const first = await request(outsider, '?limit=2');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const conditional = (tag: string) =>
      outsider.ctx.dspFetch({
        url: `${hospital.url}/dsp/2025-1/catalog/request?limit=2`,
        audienceDid: hospital.did,
        body: { '@context': [DSP], '@type': 'CatalogRequestMessage' },
        headers: { 'if-none-match': tag },
      });
    const unchanged = await conditional(etag!);
    expect(unchanged.status).toBe(412);
    expect(await unchanged.text()).toBe('');
    expect(unchanged.headers.get('etag')).toBe(etag);
    expect((await conditional('"something-else"')).status).toBe(200);
    // A member sees more (the members-only dataset), so the whole catalog's page differs and so does its tag.
    expect((await request(member, '?limit=100')).headers.get('etag')).not.toBe((await request(outsider, '?limit=100')).headers.get('etag'));
  });

  it('shows members-only datasets to members only', async () => {
    const titles = async (who: RunningConnector) => (await jsonOf(await request(who, '?limit=100'))).dataset.map((d: any) => d['dct:title'][0]['@value']);
    expect(await titles(member)).toContain('Members only cohort');
    expect(await titles(outsider)).not.toContain('Members only cohort');
    const publicTurtle = await (await fetch(`${hospital.url}/catalog?format=turtle`)).text();
    expect(publicTurtle).not.toContain('Members only cohort');
    expect(publicTurtle).toContain('Cohort 4');
  });
});
