import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/connectors.ts';

function hdc(...args: string[]) {
  return spawnSync(process.execPath, ['connector/cli/hdc.ts', ...args], { encoding: 'utf8' });
}

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
