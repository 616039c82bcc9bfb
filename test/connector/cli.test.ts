import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestConnector, tempDir } from '../support/connectors.ts';
import { runHdc } from '../support/cli.ts';

function hdc(...args: string[]) {
  return spawnSync(process.execPath, ['connector/cli/hdc.ts', ...args], { encoding: 'utf8' });
}

const hdcAsync = runHdc;

describe('hdc (operator CLI)', () => {
  it('prints its usage and exits 2 without a command, 0 with --help', () => {
    const bare = hdc();
    expect(bare.status).toBe(2);
    expect(bare.stdout).toContain('Usage: hdc <command>');
    expect(hdc('--help').status).toBe(0);
  });

  it('names an unknown command or option and shows the usage, without a stack trace', () => {
    const unknown = hdc('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    const badOption = hdc('start', '--bogus');
    expect(badOption.status).toBe(2);
    expect(badOption.stderr).toContain("Unknown option '--bogus'");
    expect(badOption.stderr).toContain('Usage: hdc start');
    expect(badOption.stderr + unknown.stderr).not.toMatch(/\n\s+at /);
  });

  it('init creates a key and prints the DID and DID document, and keeps the key on a second run', () => {
    const dir = tempDir();
    const first = hdc('init', '--data-dir', dir, '--public-url', 'https://hospital.example.lu');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('Created identity key');
    expect(first.stdout).toContain('DID: did:web:hospital.example.lu');
    const keyFile = join(dir, 'keys', 'identity-key.json');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const { publicKeyMultibase, secretKeyMultibase } = JSON.parse(readFileSync(keyFile, 'utf8'));
    expect(first.stdout).toContain(publicKeyMultibase);
    expect(first.stdout).not.toContain(secretKeyMultibase);
    const second = hdc('init', '--data-dir', dir, '--public-url', 'https://hospital.example.lu');
    expect(second.stdout).toContain('Kept the existing identity key');
    expect(second.stdout).toContain(publicKeyMultibase);
  });

  it('init refuses a missing or malformed public URL', () => {
    expect(hdc('init', '--data-dir', tempDir()).status).toBe(2);
    const bad = hdc('init', '--data-dir', tempDir(), '--public-url', 'not a url');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('is not a URL');
  });
});

describe('hdc management commands', () => {
  it('identity shows a running connector, found through its config file', async () => {
    const dir = tempDir();
    const connector = await startTestConnector({ dataDir: join(dir, 'data') });
    const config = join(dir, 'c.json');
    writeFileSync(config, JSON.stringify({ name: 'Hospital', role: 'hospital', port: connector.port, dataDir: 'data' }));
    const run = await hdcAsync('identity', '--config', config);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`DID          ${connector.did}`);
    expect(run.stdout).toContain(`DSP address  ${connector.url}/dsp/2025-1`);
  });

  it('says clearly when the connector is not running or the key is wrong', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'key'), 'x'.repeat(40));
    const down = await hdcAsync('identity', '--url', 'http://127.0.0.1:1', '--api-key-file', join(dir, 'key'));
    expect(down.status).toBe(1);
    expect(down.stderr).toContain('Cannot reach the connector at http://127.0.0.1:1');
    const connector = await startTestConnector();
    const wrongKey = await hdcAsync('identity', '--url', connector.url, '--api-key-file', join(dir, 'key'));
    expect(wrongKey.status).toBe(1);
    expect(wrongKey.stderr).toContain('GET /identity failed with 401: A valid management API key is required');
    const nothing = await hdcAsync('identity');
    expect(nothing.status).toBe(2);
    expect(nothing.stderr).toContain('Say which connector');
  });
});

describe('hdc transfers', () => {
  it('draws progress as a bar with bytes, total and rate', async () => {
    const { progressLine } = await import('../../connector/cli/transfer-commands.ts');
    const { formatBytes } = await import('../../connector/data-plane/format-bytes.ts');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 ** 3)).toBe('3.0 GiB');
    expect(progressLine({ bytes: 512 * 1024 ** 2, total: 1024 ** 3, bytesPerSecond: 180 * 1024 ** 2 }, 10)).toBe('[#####.....]  50% 512.0 MiB of 1.0 GiB, 180.0 MiB/s');
    expect(progressLine({ bytes: 2048, total: null, bytesPerSecond: 0 })).toBe('[receiving] 2.0 KiB');
  });

  it('answers wrong arguments with its usage and exit code 2', () => {
    for (const args of [['transfers'], ['transfers', 'frobnicate'], ['transfers', 'start'], ['transfers', 'download', 'urn:uuid:x'], ['transfers', 'suspend', 'urn:uuid:x']]) {
      const run = hdc(...args, '--url', 'http://127.0.0.1:9', '--api-key-file', '/dev/null');
      expect(run.status, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('Usage: hdc transfers');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
