import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReleaseHelper } from '../../connector/data-plane/release-helper.ts';
import { folderSource, releaseToFolder } from '../../health/folder-source.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import type { PartHelper } from '../../health/release-parts.ts';
import { RECOMMENDED_RELEASE_RULES } from '../../health/release-rules.ts';
import { writeDiabetesCohort } from '../../scripts/synthetic/write-cohort.ts';

/**
 * A release shared with a helper process (health/release-parts.ts, connector/data-plane/release-helper.ts):
 * files cut into parts of a few KB, so both processes release parts of every file, must give the bytes and the
 * report of a release by one process, and the same error for malformed lines.
 */
describe('a release shared with a helper process', () => {
  const root = mkdtempSync(join(tmpdir(), 'hdc-release-helper-'));
  const source = join(root, 'source');
  const options = { rules: RECOMMENDED_RELEASE_RULES, secret: Buffer.alloc(32, 7), releaseDate: new Date('2026-12-01T00:00:00Z') };
  let alone: { report: string; files: Map<string, string> };
  let run = 0;
  const filesOf = (dir: string) =>
    new Map(
      readdirSync(dir).map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex'),
      ]),
    );
  const release = async (from: string, helper?: PartHelper) => {
    const target = join(root, `out-${++run}`);
    try {
      const report = await releaseToFolder(folderSource(from), target, options, helper && { helper, partBytes: 4096 });
      return { report: JSON.stringify(report), files: filesOf(target) };
    } finally {
      helper?.close();
    }
  };
  const failure = async (from: string, helper?: PartHelper) => {
    try {
      await release(from, helper);
    } catch (error) {
      return error as ReleaseInputError;
    }
    throw new Error('the release did not fail');
  };
  /** A copy of the source with `text` in place of the given lines (1-based) of `file`. */
  const withLines = (file: string, replaced: Record<number, string>) => {
    const dir = mkdtempSync(join(root, 'bad-'));
    for (const name of readdirSync(source)) {
      const text = readFileSync(join(source, name), 'utf8');
      const lines = text.split('\n');
      if (name === file) for (const [n, line] of Object.entries(replaced)) lines[Number(n) - 1] = line;
      writeFileSync(join(dir, name), lines.join('\n'));
    }
    return dir;
  };

  beforeAll(async () => {
    await writeDiabetesCohort(source, { patients: 150, seed: 11 });
    alone = await release(source);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('gives the same files, digests and report as a release by one process', async () => {
    const shared = await release(source, startReleaseHelper({ folder: source, options }));
    expect(shared.report).toBe(alone.report);
    expect(shared.files).toEqual(alone.files);
    expect([...shared.files.keys()]).toEqual(['Condition.ndjson', 'Encounter.ndjson', 'Observation.ndjson', 'Patient.ndjson']);
  });

  it('releases the parts itself when the helper ends: the same bytes', async () => {
    const helper = startReleaseHelper({ folder: source, options });
    let parts = 0;
    const ending: PartHelper = {
      release: (part, path) => {
        if (++parts === 3) helper.close();
        return helper.release(part, path);
      },
      close: () => helper.close(),
    };
    expect(await release(source, ending)).toEqual(alone);
  });

  it('reports the first malformed line in file order, numbered from the file start, as one process does', async () => {
    const lineCount = readFileSync(join(source, 'Observation.ndjson'), 'utf8').split('\n').length - 1;
    // Lines near the end fall in the helper's parts, line 40 in this process's: the first is reported either way.
    for (const bad of [
      { [lineCount - 2]: '{"resourceType":' },
      { 40: 'no json', [lineCount - 5]: '{"resourceType":"Patient","id":"x"}' },
      { [lineCount - 30]: '[]', [lineCount - 3]: 'x' },
    ]) {
      const dir = withLines('Observation.ndjson', bad);
      const expected = await failure(dir);
      const shared = await failure(dir, startReleaseHelper({ folder: dir, options }));
      expect(shared).toBeInstanceOf(ReleaseInputError);
      expect(shared.message).toBe(expected.message);
      expect(shared.message).toMatch(/^Observation\.ndjson line \d+: /);
    }
    const patients = withLines('Patient.ndjson', { 2: '{' });
    expect((await failure(patients, startReleaseHelper({ folder: patients, options }))).message).toBe('Patient.ndjson line 2: not valid JSON');
  });
});
