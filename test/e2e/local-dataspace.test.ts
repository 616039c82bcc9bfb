import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { tempDir } from '../support/connectors.ts';

function runDataspace(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/dataspace/local-dataspace.ts', ...args], { env: { ...process.env, DATABASE_URL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * Three consecutive free ports below the kernel's ephemeral range (32768+), where the many connections of a
 * test run take their local ports: a random base there could be taken by one of them in the meantime.
 */
async function basePort(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (;;) {
    const base = 10_000 + Math.floor(Math.random() * 22_000);
    if ((await free(base)) && (await free(base + 1)) && (await free(base + 2))) return base;
  }
}

describe('npm run dataspace -- --once', () => {
  it('starts the three participants as processes, runs every step and exits 0', async () => {
    const dir = tempDir();
    const run = await runDataspace(['--once', '--dir', dir, '--base-port', String(await basePort()), '--patients', '200']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/✔ \[1\/\d+\] Start the governance authority/);
    expect(run.stdout).toMatch(/✔ \[\d+\/\d+\] The authority, as health data access body, grants the institute a data permit/);
    expect(run.stdout).toContain('institute: ParticipantCredential, DataPermitCredential');
    expect(run.stdout).toMatch(/✔ \[\d+\/\d+\] The institute crawls its peers' catalogs and finds the cohort/);
    expect(run.stdout).toMatch(/✔ \[\d+\/\d+\] The institute negotiates: .*\n\s+FINALIZED, agreement urn:uuid:/);
    expect(run.stdout).toMatch(/✔ \[\d+\/\d+\] The institute pulls the cohort peer to peer; .*\n\s+[\d.]+ (KiB|MiB), sha-256 \S+\n\s+stored at .*diabetes-cohort\.tar/);
    expect(run.stdout).toMatch(
      /✔ \[\d+\/\d+\] The received archive is byte for byte what the hospital sent\n\s+sha-256 \S+ on both sides\n\s+Condition\.ndjson .*Observation\.ndjson .*Patient\.ndjson/,
    );
    expect(run.stdout).toMatch(
      /✔ \[\d+\/\d+\] The hospital released the cohort under the agreement's rules .*\n\s+Release at \S+ under mii-broad-consent:\n\s+patients: 200 in the source, \d+ released; excluded: .*no-consent/,
    );
    expect(run.stdout).toMatch(
      /✔ \[\d+\/\d+\] The received cohort holds only consenting patients, under pseudonyms.*\n\s+\d+ of 200 patients, e\.g\. Patient\/[0-9a-f]{32}; none of the source's ids/,
    );
    expect(run.stdout).toMatch(/✔ \[\d+\/\d+\] hdc audit verify: the hospital's audit trail .*\n\s+Audit trail of \S+ is intact/);
    expect(run.stdout).toMatch(/✔ \[\d+\/\d+\] hdc audit verify: the institute's audit trail .*\n\s+Audit trail of \S+ is intact/);
    expect(run.stdout).toContain('Every step succeeded.');
    expect(run.stdout).not.toContain('✘');
    for (const who of ['authority', 'hospital', 'institute']) expect(existsSync(join(dir, who, 'data', 'connector.db'))).toBe(true);
    expect(existsSync(join(dir, 'hospital', 'data', 'datasets', 'diabetes-cohort', 'Observation.ndjson'))).toBe(true);
    expect(existsSync(join(dir, 'institute', 'data', 'received'))).toBe(true);
  });

  it('names the step that failed and exits non-zero', async () => {
    const dir = tempDir();
    const port = await basePort();
    const blocker = (await import('node:net')).createServer().listen(port + 1, '127.0.0.1');
    try {
      const run = await runDataspace(['--once', '--dir', dir, '--base-port', String(port)]);
      expect(run.status).toBe(1);
      expect(run.stdout).toContain('✘ [2/');
      expect(run.stderr).toContain('Step "Start the hospital "Centre Hospitalier Example"" failed');
    } finally {
      blocker.close();
    }
  });

  it('refuses bad arguments with its usage', async () => {
    const run = await runDataspace(['--base-port', 'eighty']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Usage: npm run dataspace');
  });
});
