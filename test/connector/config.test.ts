import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfigFile, parseConfig } from '../../connector/config.ts';
import { tempDir } from '../support/connectors.ts';

const valid = { name: 'Hospital A', role: 'hospital', port: 8701, dataDir: 'data' };

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(raw, { env, baseDir: '/srv/connector' });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('accepts a minimal config and fills defaults', () => {
    const config = parseConfig(valid, { baseDir: '/srv/connector' });
    expect(config.dataDir).toBe('/srv/connector/data');
    expect(config.dataRoot).toBe('/srv/connector/data/datasets');
    expect(config.database).toBe('sqlite');
    expect(config.host).toBe('127.0.0.1');
    expect(config.trustedIssuers).toEqual([]);
    expect(config.peers).toEqual([]);
    expect(config.publicUrl).toBeUndefined();
  });

  it('names each wrong field and what is wrong with it', () => {
    const found = problems({ ...valid, role: 'pharmacy', port: 70000, publicUrl: 'ftp://x', apiKey: 'short', extra: 1 });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^role: must be one of hospital, research-institute, governance-authority/),
        expect.stringMatching(/^port: .*65535/),
        expect.stringMatching(/^publicUrl: must be an http\(s\) URL/),
        expect.stringMatching(/^apiKey: must be at least 32 characters/),
        expect.stringMatching(/unknown field\(s\) "extra"/),
      ]),
    );
  });

  it('reports missing required fields', () => {
    expect(problems({})).toEqual(expect.arrayContaining([expect.stringMatching(/^name: is required/), expect.stringMatching(/^dataDir: is required/)]));
    expect(problems([])).toEqual(['the configuration must be a JSON object']);
  });

  it('checks nested trustedIssuers and peers', () => {
    const found = problems({ ...valid, trustedIssuers: [{ did: 'not-a-did', credentialTypes: [] }], peers: [{ did: 'did:web:x', dspAddress: 'nope' }] });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^trustedIssuers\.0\.did: must be a DID/),
        expect.stringMatching(/^trustedIssuers\.0\.credentialTypes: /),
        expect.stringMatching(/^peers\.0\.dspAddress: must be an http\(s\) URL/),
      ]),
    );
  });

  it('lets the environment override port, public URL, data directory and database', () => {
    const config = parseConfig(valid, {
      baseDir: '/srv/connector',
      env: { CONNECTOR_PORT: '9000', CONNECTOR_PUBLIC_URL: 'https://hospital.example.lu/', CONNECTOR_DATA_DIR: '/var/lib/hdc', DATABASE_URL: 'postgres://db/hdc' },
    });
    expect(config.port).toBe(9000);
    expect(config.publicUrl).toBe('https://hospital.example.lu');
    expect(config.dataDir).toBe('/var/lib/hdc');
    expect(config.database).toBe('postgres://db/hdc');
  });

  it('says which environment variable carried a bad value', () => {
    expect(problems(valid, { CONNECTOR_PORT: 'eighty' })).toEqual([expect.stringMatching(/^port \(from CONNECTOR_PORT\): /)]);
  });

  it("resolves paths in a config file against the file's folder", () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...valid, database: 'db/connector.sqlite' }));
    const config = loadConfigFile(join(dir, 'c.json'), {});
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.database).toBe(join(dir, 'db/connector.sqlite'));
  });

  it('reports unreadable and non-JSON files', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.json'), '{ name: ');
    expect(() => loadConfigFile(join(dir, 'bad.json'), {})).toThrow(/not valid JSON/);
    expect(() => loadConfigFile(join(dir, 'missing.json'), {})).toThrow(/cannot read the file: ENOENT/);
  });
});

describe('npm start with a bad config', () => {
  it('prints a readable error, no stack trace, and exits with code 2', () => {
    const dir = tempDir();
    const file = join(dir, 'broken.json');
    writeFileSync(file, JSON.stringify({ ...valid, port: 'http' }));
    const run = spawnSync(process.execPath, ['connector/main.ts', '--config', file], { encoding: 'utf8', env: { ...process.env, CONNECTOR_PORT: '' } });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`Invalid configuration (${file})`);
    expect(run.stderr).toMatch(/port: /);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits with code 2 and the usage when --config is missing', () => {
    const run = spawnSync(process.execPath, ['connector/main.ts'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Missing --config.');
    expect(run.stderr).toContain('npm start -- --config <file.json>');
  });
});
