import { loadTckSettings } from './settings.ts';
import { startTckFixture } from './fixture.ts';
import { serveFixture } from './cli.ts';

/**
 * `npm run tck -- --properties FILE`: the connector under test for the Eclipse DSP TCK, configured from
 * the TCK's own properties file (docs/tck.md). Stops on SIGTERM or SIGINT.
 */
await serveFixture(
  'tck',
  loadTckSettings,
  startTckFixture,
  (settings) =>
    `TCK fixture ready: DSP at ${settings.httpUrl.href}, participant ${settings.agentId}; triggers ${settings.negotiationTrigger.href}, ${settings.transferTrigger.href}`,
);
