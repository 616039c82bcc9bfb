import { parseArgs } from 'node:util';
import { loadTckSettings } from '../settings.ts';
import { startTckFixture } from '../fixture.ts';
import { runReplay } from './runner.ts';

/**
 * `npm run tck:replay -- --properties FILE [--fixture] [--strict] [--only CN:,TP_C:01]`: plays the DSP TCK's
 * counter-party for its 65 scenarios against the connector the properties describe; with --fixture it
 * first starts the TCK fixture from the same properties. Exit code 1 when a scenario failed.
 */
const { values } = parseArgs({ options: { properties: { type: 'string' }, fixture: { type: 'boolean' }, strict: { type: 'boolean' }, only: { type: 'string' } } });
if (!values.properties) {
  console.error('usage: npm run tck:replay -- --properties FILE [--fixture] [--strict] [--only CN:,TP_C:01]');
  process.exit(2);
}
const settings = loadTckSettings(values.properties);
const fixture = values.fixture ? await startTckFixture(settings) : undefined;
try {
  const result = await runReplay(settings, { strict: values.strict ?? false, ...(values.only ? { only: values.only.split(',') } : {}) });
  process.exitCode = result.failed.length > 0 ? 1 : 0;
} finally {
  await fixture?.close();
}
