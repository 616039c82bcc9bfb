import { startDcpTckFixture } from './fixture.ts';
import { loadDcpTckSettings } from './settings.ts';
import { serveFixture } from '../tck/cli.ts';

/**
 * `npm run dcp-tck -- --properties FILE`: the systems under test for the Eclipse DCP TCK (credential service,
 * verifier, issuer service), configured from the TCK's own properties (docs/tck.md). Stops on SIGTERM or SIGINT.
 */
await serveFixture(
  'dcp-tck',
  loadDcpTckSettings,
  startDcpTckFixture,
  (settings, fixture) =>
    `DCP TCK fixture ready: holder and verifier ${fixture.holder.did} (STS ${settings.sts?.url}), issuer ${fixture.authority.did}, trigger ${settings.triggerEndpoint.href}`,
);
