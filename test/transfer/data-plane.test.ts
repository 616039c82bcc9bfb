import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/connectors.ts';
import { IntegrityError, pullToFile } from '../../connector/data-plane/pull.ts';
import { planServe, reprDigest } from '../../connector/data-plane/serve.ts';
import { payloadDigest, payloadOf, payloadReadable, type Payload } from '../../connector/data-plane/payload.ts';
import { resolveDataSource } from '../../connector/catalog/data-source.ts';

const servers: Server[] = [];

/** What the data plane sends for `range`: status, headers and the body bytes. */
async function served(payload: Payload, digest: string, range: string | undefined) {
  const plan = planServe(payload, digest, range);
  const chunks: Buffer[] = [];
  if (plan.end > plan.start) for await (const chunk of payloadReadable(payload, plan.start, plan.end)) chunks.push(chunk as Buffer);
  return { status: plan.status, headers: plan.headers, body: Buffer.concat(chunks) };
}
afterAll(() => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
});

/** Serves `bytes` like the data plane does; `fault(request number)` may cut the body after some bytes or lie about the digest. */
async function serve(bytes: Buffer, fault: (n: number) => { cutAfter?: number; digest?: string | null } = () => ({})): Promise<{ url: string; ranges: (string | undefined)[] }> {
  const dir = tempDir();
  writeFileSync(join(dir, 'data.bin'), bytes);
  const payload = await payloadOf(join(dir, 'data.bin'), 'data.bin');
  const digest = await payloadDigest(payload);
  const ranges: (string | undefined)[] = [];
  const server = createServer(async (req, res) => {
    if (req.headers.authorization !== 'Bearer secret') return void res.writeHead(401).end();
    ranges.push(req.headers.range);
    const plan = fault(ranges.length);
    const answer = planServe(payload, plan.digest ?? digest, req.headers.range);
    // digest null: a standard provider's data plane, which sends no Repr-Digest.
    const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => plan.digest !== null || name.toLowerCase() !== 'repr-digest'));
    res.writeHead(answer.status, headers);
    let sent = 0;
    for await (const chunk of answer.end > answer.start ? payloadReadable(payload, answer.start, answer.end) : []) {
      if (plan.cutAfter !== undefined && sent + chunk.length > plan.cutAfter) {
        res.write(chunk.subarray(0, plan.cutAfter - sent));
        await new Promise((resolve) => setTimeout(resolve, 20));
        res.destroy();
        return;
      }
      res.write(chunk);
      sent += chunk.length;
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/data/x`, ranges };
}

describe('pulling with resume and digest checking', () => {
  const bytes = randomBytes(8 * 1024 * 1024);

  it('resumes with a Range request after a cut connection and verifies the whole', async () => {
    const { url, ranges } = await serve(bytes, (n) => (n === 1 ? { cutAfter: 3 * 1024 * 1024 + 7 } : {}));
    const destination = join(tempDir(), 'out.bin');
    const result = await pullToFile({ url, token: 'secret', destination });
    // It resumes from what reached the disk: at most the bytes sent before the cut.
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(ranges[1]!)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(3 * 1024 * 1024 + 7);
    expect(result.size).toBe(bytes.length);
    expect(readFileSync(destination).equals(bytes)).toBe(true);
    expect(existsSync(`${destination}.partial`)).toBe(false);
  });

  it('resumes from a partial file left by an earlier run', async () => {
    const { url, ranges } = await serve(bytes);
    const destination = join(tempDir(), 'out.bin');
    writeFileSync(`${destination}.partial`, bytes.subarray(0, 1_000_000));
    await pullToFile({ url, token: 'secret', destination });
    expect(ranges).toEqual(['bytes=1000000-']);
    expect(readFileSync(destination).equals(bytes)).toBe(true);
  });

  it('completes from a partial file that already holds every byte (416 for the rest), checking the digest', async () => {
    const { url, ranges } = await serve(bytes);
    const destination = join(tempDir(), 'out.bin');
    writeFileSync(`${destination}.partial`, bytes);
    const result = await pullToFile({ url, token: 'secret', destination });
    expect(ranges).toEqual([`bytes=${bytes.length}-`]);
    expect(result.digest).toBe(createHash('sha256').update(bytes).digest('base64'));
    expect(readFileSync(destination).equals(bytes)).toBe(true);
  });

  it('a complete-looking partial file with other bytes fails the digest check and is deleted', async () => {
    const { url } = await serve(bytes);
    const destination = join(tempDir(), 'out.bin');
    writeFileSync(`${destination}.partial`, randomBytes(bytes.length));
    await expect(pullToFile({ url, token: 'secret', destination })).rejects.toBeInstanceOf(IntegrityError);
    expect(existsSync(`${destination}.partial`)).toBe(false);
  });

  it('catches a digest mismatch: nothing is presented as complete and the partial file is gone', async () => {
    const wrong = createHash('sha256').update('something else').digest('base64');
    const { url } = await serve(bytes, () => ({ digest: wrong }));
    const destination = join(tempDir(), 'out.bin');
    await expect(pullToFile({ url, token: 'secret', destination })).rejects.toBeInstanceOf(IntegrityError);
    expect(existsSync(destination)).toBe(false);
    expect(existsSync(`${destination}.partial`)).toBe(false);
  });

  it('takes data without a Repr-Digest (a standard provider): hashed here, resumed, marked unverified', async () => {
    const { url, ranges } = await serve(bytes, (n) => ({ digest: null, ...(n === 1 ? { cutAfter: 2 * 1024 * 1024 } : {}) }));
    const destination = join(tempDir(), 'out.bin');
    const result = await pullToFile({ url, token: 'secret', destination });
    expect(ranges).toHaveLength(2);
    expect(result).toMatchObject({ size: bytes.length, digest: createHash('sha256').update(bytes).digest('base64'), digestVerified: false });
    expect(readFileSync(destination).equals(bytes)).toBe(true);
  });

  it("marks the provider's matching Repr-Digest verified", async () => {
    const { url } = await serve(bytes);
    expect((await pullToFile({ url, token: 'secret', destination: join(tempDir(), 'out.bin') })).digestVerified).toBe(true);
  });

  it('gives up on a refused token without retrying', async () => {
    const { url, ranges } = await serve(bytes);
    await expect(pullToFile({ url, token: 'wrong', destination: join(tempDir(), 'out.bin') })).rejects.toThrow(/HTTP 401/);
    expect(ranges).toEqual([]);
  });
});

describe('serving byte ranges (RFC 9110) with Repr-Digest (RFC 9530)', () => {
  it('answers 200, 206 with Content-Range, and 416 for a range beyond the end', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'f'), Buffer.from('0123456789'));
    const payload = await payloadOf(join(dir, 'f'), 'f');
    const digest = await payloadDigest(payload);
    const whole = await served(payload, digest, undefined);
    expect([whole.status, whole.headers['content-length'], whole.headers['repr-digest'], whole.body.toString()]).toEqual([200, '10', reprDigest(digest), '0123456789']);
    const part = await served(payload, digest, 'bytes=2-5');
    expect([part.status, part.headers['content-range'], part.body.toString()]).toEqual([206, 'bytes 2-5/10', '2345']);
    expect((await served(payload, digest, 'bytes=-3')).body.toString()).toBe('789');
    expect((await served(payload, digest, 'bytes=7-')).body.toString()).toBe('789');
    const beyond = await served(payload, digest, 'bytes=10-');
    expect([beyond.status, beyond.headers['content-range'], beyond.body.length]).toEqual([416, 'bytes */10', 0]);
  });

  it('serves a folder as a tar archive whose ranges match the whole', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.ndjson'), randomBytes(700));
    writeFileSync(join(dir, 'sub', 'b.csv'), randomBytes(1500));
    const payload = await payloadOf(dir, 'cohort');
    expect(payload).toMatchObject({ name: 'cohort.tar', mediaType: 'application/x-tar', size: 512 + 1024 + 512 + 1536 + 1024 });
    const whole = (await served(payload, await payloadDigest(payload), undefined)).body;
    const tail = (await served(payload, '', 'bytes=1000-')).body;
    const middle = (await served(payload, '', 'bytes=500-1600')).body;
    expect(middle.equals(whole.subarray(500, 1601))).toBe(true);
    expect(tail.equals(whole.subarray(1000))).toBe(true);
    expect(whole.subarray(257, 262).toString()).toBe('ustar');
  });
});

describe('nothing outside the data root can be reached', () => {
  it('refuses "..", absolute paths and symlinks that lead out; a folder never serves a symlink', async () => {
    const root = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, 'secret.txt'), 'patient data elsewhere');
    mkdirSync(join(root, 'cohort'));
    writeFileSync(join(root, 'cohort', 'ok.ndjson'), '{}');
    symlinkSync(join(outside, 'secret.txt'), join(root, 'cohort', 'link.txt'));
    symlinkSync(outside, join(root, 'escape'));
    for (const path of ['../x', 'cohort/../../etc/passwd', '/etc/passwd', 'escape', 'escape/secret.txt', 'cohort/link.txt']) {
      expect(() => resolveDataSource(root, { kind: 'file', path }), path).toThrow(/data root|relative path/);
    }
    const folder = resolveDataSource(root, { kind: 'file', path: 'cohort' });
    const payload = await payloadOf((folder as { path: string }).path, 'cohort');
    const tar = (await served(payload, '', undefined)).body;
    expect(tar.includes('ok.ndjson')).toBe(true);
    expect(tar.includes('link.txt')).toBe(false);
    expect(tar.includes('patient data elsewhere')).toBe(false);
  });
});
