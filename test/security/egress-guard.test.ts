import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { classifyAddress, isAddressAllowed } from '../../connector/egress/address-policy.ts';
import { createEgressGuard, EgressError } from '../../connector/egress/egress-guard.ts';
import { readBoundedText } from '../../connector/egress/bounded-body.ts';
import { callbackBelongsTo } from '../../connector/egress/callback-address.ts';
import { dspFetchWith } from '../../connector/http/dsp-client.ts';
import { startHostileServer } from './attacker.ts';

const STRICT = { allowLoopback: false, allowPrivate: false };

async function refusal(promise: Promise<unknown>): Promise<EgressError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EgressError);
  return error as EgressError;
}

describe('address classification', () => {
  it.each([
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['169.254.169.254', 'special'],
    ['100.64.0.1', 'private'],
    ['0.0.0.0', 'special'],
    ['255.255.255.255', 'special'],
    ['224.0.0.1', 'special'],
    ['198.18.0.1', 'special'],
    ['240.0.0.1', 'special'],
    ['::1', 'loopback'],
    ['::', 'special'],
    ['fe80::1', 'special'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'special'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'special'],
    ['::ffff:10.0.0.1', 'private'],
    ['::7f00:1', 'loopback'],
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::808:808', 'public'],
    ['2002:7f00:1::1', 'loopback'],
    ['2001::1', 'special'],
    ['2001:db8::1', 'special'],
    ['fe80::1%eth0', 'special'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['[::1]', 'loopback'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('a strict policy allows only public addresses; development adds loopback; allowAddresses opens named ranges', () => {
    expect(isAddressAllowed('93.184.216.34', STRICT)).toBe(true);
    expect(isAddressAllowed('127.0.0.1', STRICT)).toBe(false);
    expect(isAddressAllowed('127.0.0.1', { ...STRICT, allowLoopback: true })).toBe(true);
    expect(isAddressAllowed('169.254.169.254', { allowLoopback: true, allowPrivate: true })).toBe(false);
    expect(isAddressAllowed('10.20.0.5', { ...STRICT, allowAddresses: ['10.20.0.0/16'] })).toBe(true);
    expect(isAddressAllowed('10.21.0.5', { ...STRICT, allowAddresses: ['10.20.0.0/16'] })).toBe(false);
    expect(isAddressAllowed('::ffff:127.0.0.1', { ...STRICT, allowAddresses: ['127.0.0.1'] })).toBe(true);
    expect(isAddressAllowed('not-an-ip', { allowLoopback: true, allowPrivate: true })).toBe(false);
  });
});

describe('the egress guard', () => {
  it('refuses other schemes, plain http unless allowed, and credentials in URLs, before connecting', async () => {
    const guard = createEgressGuard({ allowHttp: false, allowLoopback: true });
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:70/_INFO', 'ftp://example.org/', 'http://example.org/', 'https://user:pw@example.org/']) {
      expect((await refusal(guard(url))).code, url).toBe('scheme');
    }
  });

  it('refuses loopback, private, link-local and mapped addresses, literal or behind a name, and sends nothing', async () => {
    const server = await startHostileServer((_req, res) => void res.end('internal'));
    const guard = createEgressGuard({ ...STRICT, allowHttp: true });
    for (const host of [
      `127.0.0.1:${server.port}`,
      `[::ffff:127.0.0.1]:${server.port}`,
      `[::ffff:7f00:1]:${server.port}`,
      `2130706433:${server.port}`,
      `localhost:${server.port}`,
      '169.254.169.254',
      '10.0.0.1',
      '[fe80::1]',
      '[64:ff9b::a00:1]',
    ]) {
      expect((await refusal(guard(`http://${host}/`))).code, host).toBe('address');
    }
    expect(server.received).toEqual([]);
  });

  it('re-checks every redirect hop, and follows at most three', async () => {
    const internal = await startHostileServer((_req, res) => void res.end('internal'), '127.0.0.2');
    const redirector = await startHostileServer((req, res) => {
      const hop = Number(/hop=(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      const location = req.url?.startsWith('/internal') ? `${internal.url}/` : `/loop?hop=${hop + 1}`;
      res.writeHead(302, { location }).end();
    });
    const guard = createEgressGuard({ ...STRICT, allowHttp: true, allowAddresses: ['127.0.0.1'] });
    expect((await refusal(guard(`${redirector.url}/internal`))).code).toBe('address');
    expect(internal.received).toEqual([]);
    expect((await refusal(guard(`${redirector.url}/loop`))).code).toBe('redirect');
    expect(redirector.received.filter((r) => r.path.startsWith('/loop'))).toHaveLength(4);
    expect((await refusal(guard(`${redirector.url}/loop`, { redirect: 'error' }))).code).toBe('redirect');
  });

  it('drops the Authorization header on a redirect to another origin', async () => {
    const other = await startHostileServer((_req, res) => void res.end('ok'));
    const first = await startHostileServer((_req, res) => void res.writeHead(307, { location: `${other.url}/next` }).end());
    const guard = createEgressGuard({ allowHttp: true, allowLoopback: true });
    const response = await guard(`${first.url}/`, { method: 'POST', body: 'x', headers: { authorization: 'Bearer secret' } });
    expect(await response.text()).toBe('ok');
    expect(first.received[0]!.headers.authorization).toBe('Bearer secret');
    expect(other.received[0]!.headers.authorization).toBeUndefined();
    expect(other.received[0]!.method).toBe('POST');
  });

  it('cuts a body off while it streams, announced or not, without reading the rest', async () => {
    let written = 0;
    const endless = await startHostileServer(async (req, res) => {
      if (req.url === '/announced') return void res.writeHead(200, { 'content-length': String(1 << 30) }).end();
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      while (!res.destroyed && written < 256 * 1024 * 1024) {
        written += chunk.length;
        if (!res.write(chunk)) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      res.end();
    });
    const guard = createEgressGuard({ allowHttp: true, allowLoopback: true, maxResponseBytes: 100_000 });
    expect((await refusal(guard(`${endless.url}/announced`))).code).toBe('tooLarge');
    const response = await guard(`${endless.url}/chunked`);
    expect((await refusal(response.text())).code).toBe('tooLarge');
    expect((await refusal(readBoundedText(await guard(`${endless.url}/chunked`, { maxResponseBytes: 1 << 30 }), 50_000))).code).toBe('tooLarge');
    expect(written).toBeLessThan(32 * 1024 * 1024);
  });

  it('for Node streams: check() refuses the URL, lookup refuses a name that resolves to a forbidden address', async () => {
    const server = await startHostileServer((_req, res) => void res.end('internal'));
    const guard = createEgressGuard({ ...STRICT, allowHttp: true });
    expect(() => guard.check(`http://127.0.0.1:${server.port}/`)).toThrow(EgressError);
    const url = guard.check(`http://localhost:${server.port}/`); // a name: judged when it is resolved
    const error = await new Promise<Error>((resolve) =>
      request(url, { lookup: guard.lookup }, () => resolve(new Error('connected')))
        .on('error', resolve)
        .end(),
    );
    expect(error).toBeInstanceOf(EgressError);
    expect(server.received).toEqual([]);
  });

  it('gives up after its total timeout', async () => {
    const slow = await startHostileServer(() => undefined); // never answers
    const guard = createEgressGuard({ allowHttp: true, allowLoopback: true });
    const started = Date.now();
    expect((await refusal(guard(slow.url, { timeoutMs: 300 }))).code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('DSP callbacks through the egress guard (issue 15, break 3)', () => {
  it('a callbackAddress with file:, gopher: or an internal host is refused and gets no request or token', async () => {
    const internal = await startHostileServer((_req, res) => void res.end('{}'), '127.0.0.2');
    const gopher = await startHostileServer((_req, res) => void res.end('{}'));
    const guard = createEgressGuard({ ...STRICT, allowHttp: true, allowAddresses: ['127.0.0.1/32'] });
    const dspFetch = dspFetchWith(async () => 'Bearer hospital-token', guard);
    for (const callback of ['file:///etc/passwd', `gopher://127.0.0.1:${gopher.port}/_`, `${internal.url}/dsp`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.1/dsp']) {
      await refusal(dspFetch({ url: `${callback}/negotiations/x/termination`, audienceDid: 'did:web:attacker.example', body: {} }));
    }
    expect(internal.received).toEqual([]);
    expect(gopher.received).toEqual([]);
  });

  it('without a configured guard, DSP calls get the development policy: no private, link-local or other schemes', async () => {
    const dspFetch = dspFetchWith(async () => 'Bearer hospital-token');
    const started = Date.now();
    for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:70/_', 'http://169.254.169.254/latest', 'http://10.0.0.1/dsp', 'http://[::ffff:a00:1]/dsp']) {
      await refusal(dspFetch({ url, audienceDid: 'did:web:attacker.example', body: {} }));
    }
    expect(Date.now() - started).toBeLessThan(1000); // refused before any connection attempt
  });

  it("callbackBelongsTo: only an origin among the caller DID document's service endpoints", () => {
    const doc = { service: [{ serviceEndpoint: 'https://institute.example/dsp/2025-1/catalog' }, { serviceEndpoint: ['https://cs.institute.example/dcp'] }] };
    expect(callbackBelongsTo('https://institute.example/dsp/2025-1', doc)).toBe(true);
    expect(callbackBelongsTo('https://cs.institute.example/anything', doc)).toBe(true);
    expect(callbackBelongsTo('https://institute.example:8443/dsp', doc)).toBe(false);
    expect(callbackBelongsTo('http://institute.example/dsp', doc)).toBe(false);
    expect(callbackBelongsTo('http://10.0.0.1/dsp', doc)).toBe(false);
    expect(callbackBelongsTo('file:///etc/passwd', { service: [{ serviceEndpoint: 'file:///etc/passwd' }] })).toBe(false);
    expect(callbackBelongsTo('not a url', doc)).toBe(false);
  });
});
