import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../connector/cli/hdc.ts';
import { tempDir } from '../support/connectors.ts';
import { startTrio } from '../support/dataspace.ts';
import { until } from '../support/wait.ts';
import type { RunningConnector } from '../../connector/server.ts';

/** Runs the CLI in this process, capturing what it prints. */
async function hdc(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (line: string) => void out.push(line);
  console.error = (line: string) => void err.push(line);
  try {
    return { code: await runCli(args), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

function keyFile(connector: RunningConnector): string {
  const file = join(tempDir(), 'key');
  writeFileSync(file, connector.ctx.apiKey);
  return file;
}

describe('hdc members, credentials and wallet', () => {
  it('admits a member, grants and revokes a permit, and the member requests its credentials over DCP', async () => {
    const { authority, institute } = await startTrio();
    const on = (c: RunningConnector) => ['--url', c.url, '--api-key-file', keyFile(c)];
    const admitted = await hdc(
      'members',
      'admit',
      ...on(authority),
      '--did',
      institute.did,
      '--name',
      'Institute',
      '--role',
      'research-institute',
      '--dsp-address',
      `${institute.url}/dsp/2025-1`,
      '--legal-name',
      'Institute of Research',
      '--registration',
      'leiCode:222100TESTLEI0000001',
      '--country',
      'LU',
    );
    expect(admitted, admitted.err).toMatchObject({ code: 0 });
    expect(admitted.out).toContain(`Admitted ${institute.did}`);
    const granted = await hdc(
      'credentials',
      'grant-permit',
      ...on(authority),
      '--holder',
      institute.did,
      '--project',
      'p1',
      '--purpose',
      'scientific-research',
      '--category',
      'diabetes',
      '--valid-until',
      '2030-01-01T00:00:00Z',
    );
    expect(granted.code, granted.err).toBe(0);
    const permitId = /Granted data permit (\S+),/.exec(granted.out)![1]!;
    expect((await hdc('members', 'list', ...on(authority))).out).toContain(institute.did);
    const collected = await hdc('wallet', 'request', ...on(institute), '--authority', authority.did, '--wait', '20');
    expect(collected, collected.err).toMatchObject({ code: 0 });
    expect(collected.out).toContain('Stored 2 credential(s): ParticipantCredential, DataPermitCredential');
    expect((await hdc('wallet', 'requests', ...on(institute))).out).toMatch(/^ISSUED +\S+ +participant-credential,data-permit-credential from did:web:/m);
    // The authority offered both on admission and on the permit; the institute, trusting it, requested them.
    const offers = await until(
      'both offers requested',
      async () => (await hdc('wallet', 'offers', ...on(institute))).out,
      (out) => (out.match(/^requested/gm) ?? []).length === 2,
    );
    expect(offers).toContain('data-permit-credential from');
    expect((await hdc('wallet', 'request', ...on(institute), '--wait', '0')).code).toBe(2);
    expect((await hdc('wallet', 'list', ...on(institute))).out).toContain(permitId);
    expect((await hdc('credentials', 'revoke', permitId, ...on(authority), '--reason', 'ended')).code).toBe(0);
    expect((await hdc('credentials', 'list', ...on(authority), '--type', 'DataPermitCredential')).out).toMatch(/^revoked DataPermitCredential/);
  });

  it('answers wrong arguments with the usage and exit code 2', async () => {
    const dummy = join(tempDir(), 'key');
    writeFileSync(dummy, 'not-a-real-key');
    const wrong = await hdc('credentials', 'grant-permit', '--url', 'http://127.0.0.1:1', '--api-key-file', dummy, '--holder', 'did:web:x');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('--purpose is required');
    expect(wrong.err).toContain('Usage: hdc credentials');
    const unknown = await hdc('wallet', 'burn', '--url', 'http://127.0.0.1:1', '--api-key-file', dummy);
    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.err).toContain('Unknown action "burn"');
  });
});
