import { parseArgs } from 'node:util';
import { startDcpTckFixture } from './fixture.ts';
import { loadDcpTckSettings } from './settings.ts';

/**
 * `npm run dcp-tck -- --properties FILE`: the systems under test for the Eclipse DCP TCK (credential service,
 * verifier, issuer service), configured from the TCK's own properties (docs/tck.md). Stops on SIGTERM or SIGINT.
 */
const { values } = parseArgs({ options: { properties: { type: 'string' }, 'data-dir': { type: 'string' }, database: { type: 'string' } } });
if (!values.properties) {
  console.error('usage: npm run dcp-tck -- --properties FILE [--data-dir DIR] [--database sqlite|postgres://…]');
  process.exit(2);
}
const settings = loadDcpTckSettings(values.properties);
const fixture = await startDcpTckFixture(settings, {
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  ...(values.database ? { database: values.database } : {}),
});
console.log(
  `DCP TCK fixture ready: holder and verifier ${fixture.holder.did} (STS ${settings.sts?.url}), issuer ${fixture.authority.did}, trigger ${settings.triggerEndpoint.href}`,
);
const stop = async () => {
  await fixture.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
