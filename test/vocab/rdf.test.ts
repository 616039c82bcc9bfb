import { describe, expect, it } from 'vitest';
import { CONTEXT, NS, compactIri, iri } from '../../vocab/namespaces.ts';
import { isomorphic, jsonLdToQuads, jsonLdToTurtle, quadsToJsonLd, turtleToQuads } from '../../vocab/rdf.ts';

const dataset = {
  '@context': {
    dcat: NS.dcat,
    dct: NS.dct,
    title: { '@id': 'dct:title', '@container': '@language' },
    keyword: { '@id': 'dcat:keyword' },
    distribution: { '@id': 'dcat:distribution' },
  },
  '@id': 'urn:uuid:3dd1add8-4d2d-569e-d634-8394a8836a88',
  '@type': 'dcat:Dataset',
  title: { en: 'Diabetes cohort', fr: 'Cohorte diabète' },
  keyword: ['diabetes', 'HbA1c'],
  distribution: { '@type': 'dcat:Distribution', 'dcat:mediaType': 'application/fhir+ndjson' },
};

describe('JSON-LD and Turtle', () => {
  it('round-trips a graph through Turtle without losing or adding a triple', async () => {
    const quads = await jsonLdToQuads(dataset);
    const turtle = await jsonLdToTurtle(dataset);
    expect(turtle).toContain('@prefix dcat: <http://www.w3.org/ns/dcat#>');
    expect(turtle).toContain('"Cohorte diabète"@fr');
    const parsed = turtleToQuads(turtle);
    expect(await isomorphic(quads, parsed)).toBe(true);
  });

  it('tells two different graphs apart', async () => {
    const a = await jsonLdToQuads(dataset);
    const b = await jsonLdToQuads({ ...dataset, keyword: ['diabetes'] });
    expect(await isomorphic(a, b)).toBe(false);
  });

  it('builds compacted JSON-LD back from quads', async () => {
    const quads = turtleToQuads(await jsonLdToTurtle(dataset));
    const compacted = (await quadsToJsonLd(quads, { dcat: NS.dcat, dct: NS.dct })) as Record<string, unknown>;
    const nodes = compacted['@graph'] as Record<string, unknown>[];
    expect(nodes.find((n) => n['@type'] === 'dcat:Dataset')?.['@id']).toBe(dataset['@id']);
    expect(await isomorphic(await jsonLdToQuads(compacted), quads)).toBe(true);
  });

  it('refuses a document whose context is not bundled', async () => {
    await expect(jsonLdToQuads({ '@context': 'https://example.org/ctx.jsonld', a: 1 })).rejects.toThrow(/example\.org\/ctx\.jsonld/);
  });

  it('expands and compacts IRIs with the project prefixes', () => {
    expect(iri('healthdcatap:hdab')).toBe('http://healthdataportal.eu/ns/health#hdab');
    expect(compactIri(`${NS.dspace}providerPid`)).toBe('dspace:providerPid');
    expect(compactIri('http://unknown.example/x')).toBe('http://unknown.example/x');
    expect(CONTEXT.dspace).toBe('https://w3id.org/dspace/2025/1/context.jsonld');
  });
});
