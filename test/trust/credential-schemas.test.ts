import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createSchemaChecker } from '../../connector/trust/credential-schemas.ts';
import type { VerifiableCredential } from '../../contracts/credentials/model.ts';

/** credentialSchema (VCDM 2.0 §4.11; the DCP TCK's JsonSchemaValidator2018 on the subject), schemas served over HTTP. */
describe('credential schemas', () => {
  let server: Server;
  let base = '';
  let fetched = 0;
  const schemas: Record<string, unknown> = {
    '/subject.json': {
      $schema: 'http://json-schema.org/draft-04/schema#',
      type: 'object',
      properties: { id: { type: 'string' }, foo: { type: 'string' } },
      required: ['id', 'foo'],
    },
    '/backtracking.json': { type: 'object', properties: { credentialSubject: { type: 'object', patternProperties: { '^(a+)+$': { type: 'string' } } } } },
    '/credential.json': { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', required: ['credentialSubject', 'validFrom'] },
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      fetched++;
      const schema = schemas[req.url ?? ''];
      if (!schema) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/schema+json' }).end(JSON.stringify(schema));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const credential = (subject: Record<string, unknown>, credentialSchema: unknown, extra: Record<string, unknown> = {}) =>
    ({ '@context': [], type: ['VerifiableCredential'], issuer: 'did:web:i', credentialSubject: subject, credentialSchema, ...extra }) as unknown as VerifiableCredential;

  it('checks each subject against a JsonSchemaValidator2018 schema (draft-04), fetched once', async () => {
    const check = createSchemaChecker({ ttlMs: 60_000 });
    const schema = { id: `${base}/subject.json`, type: 'JsonSchemaValidator2018' };
    await expect(check(credential({ id: 'did:web:h', foo: 'bar' }, schema))).resolves.toBeUndefined();
    await expect(check(credential({ id: 'did:web:h', baz: 'quazz' }, schema))).resolves.toMatchObject({
      unavailable: false,
      message: expect.stringMatching(/violates its schema .*must have required property 'foo'/),
    });
    expect(fetched).toBe(1);
  });

  it('checks the whole credential against a JsonSchema (2020-12) and ignores schema types it does not know', async () => {
    const check = createSchemaChecker({ ttlMs: 0 });
    const schema = [
      { id: `${base}/credential.json`, type: 'JsonSchema' },
      { id: `${base}/nowhere`, type: 'ShaclValidator2017' },
    ];
    await expect(check(credential({ id: 'did:web:h' }, schema, { validFrom: '2026-01-01T00:00:00Z' }))).resolves.toBeUndefined();
    await expect(check(credential({ id: 'did:web:h' }, schema))).resolves.toMatchObject({ unavailable: false, message: expect.stringMatching(/validFrom/) });
  });

  it('asks again for a schema that could not be fetched only after a while', async () => {
    const check = createSchemaChecker({ ttlMs: 60_000 });
    const before = fetched;
    const missing = credential({ id: 'did:web:h' }, { id: `${base}/gone.json`, type: 'JsonSchema' });
    await expect(check(missing)).resolves.toMatchObject({ unavailable: true });
    await expect(check(missing)).resolves.toMatchObject({ unavailable: true, message: expect.stringMatching(/answered 404/) });
    expect(fetched - before).toBe(1);
  });

  it('reports a schema that cannot be fetched as unavailable', async () => {
    const check = createSchemaChecker({ ttlMs: 0 });
    await expect(check(credential({ id: 'did:web:h' }, { id: `${base}/missing.json`, type: 'JsonSchema' }))).resolves.toEqual({
      unavailable: true,
      message: expect.stringMatching(/cannot check its schema: .*404/),
    });
    await expect(check(credential({ id: 'did:web:h' }, { id: 'http://schemas.example/x.json', type: 'JsonSchema' }))).resolves.toMatchObject({
      unavailable: true,
      message: expect.stringMatching(/must be an https URL/),
    });
  });

  it('does not compile a schema whose pattern could backtrack catastrophically: it is unavailable', async () => {
    const check = createSchemaChecker({ ttlMs: 0 });
    const subject = { id: 'did:web:h', [`${'a'.repeat(40)}!`]: 'x' };
    await expect(check(credential(subject, { id: `${base}/backtracking.json`, type: 'JsonSchema' }))).resolves.toEqual({
      unavailable: true,
      message: expect.stringMatching(/nests quantifiers: "\^\(a\+\)\+\$"/),
    });
  });
});
