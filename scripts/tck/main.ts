import { parseArgs } from 'node:util';
import { loadTckSettings } from './settings.ts';
import { startTckFixture } from './fixture.ts';

/**
 * `npm run tck -- --properties FILE`: the connector under test for the Eclipse DSP TCK, configured from
 * the TCK's own properties file (docs/tck.md). Stops on SIGTERM or SIGINT.
 */
const { values } = parseArgs({ options: { properties: { type: 'string' }, 'data-dir': { type: 'string' }, database: { type: 'string' } } });
if (!values.properties) {
  console.error('usage: npm run tck -- --properties FILE [--data-dir DIR] [--database sqlite|postgres://…]');
  process.exit(2);
}
const settings = loadTckSettings(values.properties);
const fixture = await startTckFixture(settings, {
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  ...(values.database ? { database: values.database } : {}),
});
console.log(`TCK fixture ready: DSP at ${settings.httpUrl.href}, participant ${settings.agentId}; triggers ${settings.negotiationTrigger.href}, ${settings.transferTrigger.href}`);
const stop = async () => {
  await fixture.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
