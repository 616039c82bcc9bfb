import { createReadStream, createWriteStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { writeDiabetesCohort } from '../synthetic/write-cohort.ts';
import { folderSource, releaseToFolder } from '../../health/folder-source.ts';
import { LineSplitter } from '../../health/ndjson.ts';
import { indexRelease } from '../../health/release-index.ts';
import { RECOMMENDED_RELEASE_RULES, type ReleaseRules } from '../../health/release-rules.ts';
import { formatNumber, printTable } from './measure.ts';
import { startReleaseHelper } from '../../connector/data-plane/release-helper.ts';

/**
 * `npm run bench:release`: throughput of the health release pipeline (index pass + streaming transform) over a
 * synthetic cohort of a few hundred MB, beside a baseline measured in the same run on the same files: a plain
 * read, line split and write. Prints MB/s, the ratio and peak RSS per phase; the last line is `RESULT <json>`.
 */

const { values } = parseArgs({ options: { patients: { type: 'string', default: '12000' }, keep: { type: 'boolean', default: false } } });
const patients = Number(values.patients);
if (!Number.isInteger(patients) || patients < 1) {
  console.error('Usage: npm run bench:release -- [--patients 12000] [--keep]');
  process.exit(2);
}

const MB = 1_000_000;
const work = mkdtempSync(join(tmpdir(), 'hdc-bench-release-'));
const source = join(work, 'source');
const gc = (globalThis as { gc?: () => void }).gc;

/** Runs a phase, sampling RSS every 20 ms: wall and CPU seconds taken, and the highest RSS seen. */
async function phase(run: () => Promise<unknown>): Promise<{ seconds: number; cpuSeconds: number; peakRssMb: number }> {
  // `run` may answer the CPU seconds another process spent on the phase (a helper), which count too.
  gc?.();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const elsewhere = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  clearInterval(timer);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 + (typeof elsewhere === 'number' ? elsewhere : 0), peakRssMb: Math.max(peak, process.memoryUsage.rss()) / MB };
}

/** The baseline: every NDJSON file read, split into lines and written again, in the same chunk size. */
async function copyLines(from: string, to: string) {
  for (const name of readdirSync(from).filter((n) => n.endsWith('.ndjson'))) {
    const splitter = new LineSplitter(name);
    const lines: string[] = [];
    const onLine = (text: string) => lines.push(`${text}\n`);
    const split = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        splitter.push(chunk, onLine);
        done(null, Buffer.from(lines.splice(0).join('')));
      },
      flush(done) {
        splitter.end(onLine);
        done(null, Buffer.from(lines.splice(0).join('')));
      },
    });
    await pipeline(createReadStream(join(from, name), { highWaterMark: 1024 * 1024 }), split, createWriteStream(join(to, name)));
  }
}

const rules: ReleaseRules = RECOMMENDED_RELEASE_RULES;
const options = { rules, secret: Buffer.alloc(32, 0x42), releaseDate: new Date('2026-12-01T00:00:00Z') };

try {
  const generated = await phase(() => writeDiabetesCohort(source, { patients, seed: 20261122 }));
  const bytes = readdirSync(source)
    .filter((n) => n.endsWith('.ndjson'))
    .reduce((sum, n) => sum + statSync(join(source, n)).size, 0);
  console.log(`Cohort: ${patients} patients, ${formatNumber(bytes / MB)} MB of NDJSON in ${generated.seconds.toFixed(1)} s (${work})`);
  const baselineDir = mkdtempSync(join(work, 'baseline-'));
  const baseline = await phase(() => copyLines(source, baselineDir));
  const index = await phase(() => indexRelease(folderSource(source), options));
  let released = 0;
  let releasedReport = '';
  const releaseDir = mkdtempSync(join(work, 'release-'));
  const release = await phase(async () => {
    const report = await releaseToFolder(folderSource(source), releaseDir, options);
    released = report.files.reduce((sum, f) => sum + f.bytes, 0);
    releasedReport = JSON.stringify(report);
  });
  // The same release shared with a helper process, as the connector runs it on a machine with two cores: the
  // CPU figure adds the helper's CPU time, the RSS column shows this process's and the helper's peaks.
  let sharedSame = false;
  let helperPeakRssMb = 0;
  const sharedDir = mkdtempSync(join(work, 'shared-'));
  const shared = await phase(async () => {
    const helper = startReleaseHelper({ folder: source, options });
    try {
      const report = await releaseToFolder(folderSource(source), sharedDir, options, { helper });
      sharedSame = JSON.stringify(report) === releasedReport;
    } finally {
      helper.close();
    }
    helperPeakRssMb = helper.peakRssBytes / MB;
    return helper.cpuSeconds;
  });
  const rate = (s: { seconds: number }) => bytes / MB / s.seconds;
  const cpuRate = (s: { cpuSeconds: number }) => bytes / MB / s.cpuSeconds;
  printTable(
    'Release pipeline vs a plain read, line split and write of the same files',
    [
      ['baseline (read, split, write)', rate(baseline), cpuRate(baseline), baseline.seconds, baseline.peakRssMb],
      ['release (index pass + transform)', rate(release), cpuRate(release), release.seconds, release.peakRssMb],
      ['  of which the index pass alone', rate(index), cpuRate(index), index.seconds, index.peakRssMb],
      ['release shared with a helper process', rate(shared), cpuRate(shared), shared.seconds, `${shared.peakRssMb.toFixed(0)} / ${helperPeakRssMb.toFixed(0)}`],
    ],
    ['run', 'MB/s of source NDJSON', 'MB per CPU second', 'seconds', 'peak RSS MB'],
  );
  // The transform stage is what a pull streams at once a transfer is planned: all but the Consents.
  const transformed = readdirSync(source)
    .filter((n) => n.endsWith('.ndjson') && n !== 'Consent.ndjson')
    .reduce((sum, n) => sum + statSync(join(source, n)).size, 0);
  const transformRate = transformed / MB / Math.max(0.001, release.seconds - index.seconds);
  const transformCpuRate = transformed / MB / Math.max(0.001, release.cpuSeconds - index.cpuSeconds);
  console.log(`transform stage alone: ${formatNumber(transformRate)} MB/s, ${formatNumber(transformCpuRate)} MB per CPU second`);
  const result = {
    patients,
    sourceMb: Number((bytes / MB).toFixed(1)),
    releasedMb: Number((released / MB).toFixed(1)),
    baselineMbPerSecond: Number(rate(baseline).toFixed(1)),
    releaseMbPerSecond: Number(rate(release).toFixed(1)),
    releaseMbPerCpuSecond: Number(cpuRate(release).toFixed(1)),
    sharedMbPerSecond: Number(rate(shared).toFixed(1)),
    sharedMbPerCpuSecond: Number(cpuRate(shared).toFixed(1)),
    sharedSameBytes: sharedSame,
    transformMbPerSecond: Number(transformRate.toFixed(1)),
    transformMbPerCpuSecond: Number(transformCpuRate.toFixed(1)),
    indexSeconds: Number(index.seconds.toFixed(2)),
    ratio: Number((rate(release) / rate(baseline)).toFixed(3)),
    /** Other work on the machine slows the wall-clock figures; the CPU-second figure is steadier. */
    loadAverage: Number(loadavg()[0]!.toFixed(2)),
    baselinePeakRssMb: Math.round(baseline.peakRssMb),
    releasePeakRssMb: Math.round(release.peakRssMb),
    sharedPeakRssMb: [Math.round(shared.peakRssMb), Math.round(helperPeakRssMb)],
    target: { releaseMbPerSecond: 50 },
  };
  console.log(`\nratio release/baseline ${result.ratio}; the target is ≥ 50 MB/s of NDJSON with flat memory`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
