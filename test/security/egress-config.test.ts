import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../connector/config.ts';

const base = { name: 'hospital', role: 'hospital', port: 8701, dataDir: '/tmp/hdc-egress-config' };

describe('egress settings', () => {
  it('a development connector (no public URL, or http on loopback) reaches loopback over http, never private networks', () => {
    for (const publicUrl of [undefined, 'http://127.0.0.1:8701', 'http://localhost:8701']) {
      expect(parseConfig({ ...base, ...(publicUrl ? { publicUrl } : {}) }).egress, publicUrl).toEqual({
        allowHttp: true,
        allowLoopback: true,
        allowPrivate: false,
        allowAddresses: [],
      });
    }
  });

  it('a connector published anywhere else reaches public addresses over https only, unless told otherwise', () => {
    expect(parseConfig({ ...base, publicUrl: 'https://hospital.example' }).egress).toEqual({ allowHttp: false, allowLoopback: false, allowPrivate: false, allowAddresses: [] });
    expect(parseConfig({ ...base, publicUrl: 'http://hospital.internal:8701' }).egress.allowLoopback).toBe(false);
    expect(parseConfig({ ...base, publicUrl: 'https://hospital.example', allowInsecureHttpDids: true }).egress.allowHttp).toBe(true);
    expect(parseConfig({ ...base, publicUrl: 'https://hospital.example', egress: { allowPrivate: true, allowAddresses: ['10.20.0.0/16'] } }).egress).toMatchObject({
      allowPrivate: true,
      allowAddresses: ['10.20.0.0/16'],
    });
    expect(parseConfig({ ...base, egress: { allowLoopback: false } }).egress.allowLoopback).toBe(false);
  });

  it('refuses a range that is not an address or CIDR range, and unknown egress fields', () => {
    expect(() => parseConfig({ ...base, egress: { allowAddresses: ['10.0.0.0/33'] } })).toThrow(ConfigError);
    expect(() => parseConfig({ ...base, egress: { allowAddresses: ['intranet'] } })).toThrow(/egress.allowAddresses.0: must be an IP address or CIDR range/);
    expect(() => parseConfig({ ...base, egress: { allowEverything: true } })).toThrow(/unknown field/);
  });

  it('trustProxy is off unless set', () => {
    expect(parseConfig(base).trustProxy).toBe(false);
    expect(parseConfig({ ...base, trustProxy: true }).trustProxy).toBe(true);
  });
});
