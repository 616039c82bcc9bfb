import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cohortOptOuts, generateDiabetesCohort, type CohortOptions } from './diabetes-cohort.ts';
import { OPT_OUT_REGISTER_FILE } from '../../health/opt-out.ts';

/**
 * Writes the cohort as FHIR bulk-data NDJSON, one file per resource type (Patient.ndjson, …), and the EHDS
 * opt-out register beside them (opt-out-register.txt, one Patient id a line). Returns resources per type.
 */
export async function writeDiabetesCohort(dir: string, options: CohortOptions): Promise<Record<string, number>> {
  mkdirSync(dir, { recursive: true });
  const streams = new Map<string, WriteStream>();
  const counts: Record<string, number> = {};
  for (const resource of generateDiabetesCohort(options)) {
    let stream = streams.get(resource.resourceType);
    if (!stream) {
      stream = createWriteStream(join(dir, `${resource.resourceType}.ndjson`));
      streams.set(resource.resourceType, stream);
    }
    counts[resource.resourceType] = (counts[resource.resourceType] ?? 0) + 1;
    if (!stream.write(JSON.stringify(resource) + '\n')) await once(stream, 'drain');
  }
  const register = createWriteStream(join(dir, OPT_OUT_REGISTER_FILE));
  register.write('# EHDS opt-out register: Patient ids of people who opted out of secondary use\n');
  for (const id of cohortOptOuts(options)) register.write(`${id}\n`);
  streams.set(OPT_OUT_REGISTER_FILE, register);
  await Promise.all([...streams.values()].map((s) => new Promise<void>((resolve, reject) => s.end((error?: Error | null) => (error ? reject(error) : resolve())))));
  return counts;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, patients: { type: 'string', default: '3000' }, seed: { type: 'string', default: '20261122' } } });
  const patients = Number(values.patients);
  const seed = Number(values.seed);
  if (!values.out || !Number.isInteger(patients) || patients < 1 || !Number.isInteger(seed)) {
    console.error('Usage: npm run synthetic:cohort -- --out <dir> [--patients 3000] [--seed 20261122]');
    process.exit(2);
  }
  const counts = await writeDiabetesCohort(values.out, { patients, seed });
  console.log(
    `Wrote ${Object.entries(counts)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ')} to ${values.out}`,
  );
}
