import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config.ts';
import { startConnector } from '../server.ts';
import { UsageError } from './usage-error.ts';

/**
 * Node flags a connector process runs with (package.json scripts, the hdc shebang, spawned connectors): a
 * 4 MB young generation instead of V8's default keeps a connector's resident memory about 45 MB lower at the
 * same speed (measured on catalog publication and bulk transfers; see README, Benchmarks). A 512 MB old
 * generation (a connector's live heap is tens of MB) makes V8 collect it before garbage piles up to the few
 * hundred MB its defaults allow on a machine with this much memory: a 1 GiB health release peaked at 243–286 MB
 * without it, 181–184 MB with it (the same run at 384 MB: 181).
 */
export const CONNECTOR_NODE_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=512'];

export const START_USAGE = `Usage: hdc start --config <file.json>   (or: npm start -- --config <file.json>)
  Runs one connector until SIGTERM or SIGINT, then stops gracefully.
  Environment overrides: CONNECTOR_PORT, CONNECTOR_HOST, CONNECTOR_PUBLIC_URL, CONNECTOR_DATA_DIR,
  CONNECTOR_DATA_ROOT, DATABASE_URL, CONNECTOR_API_KEY, CONNECTOR_LOG_LEVEL`;

/** `hdc start` (and `npm start`): runs a connector from a config file until a stop signal. */
export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } }, strict: true });
  if (!values.config) throw new UsageError('Missing --config.', START_USAGE);
  const connector = await startConnector(loadConfigFile(values.config));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      connector.ctx.logger.info('signal received', { signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await connector.close();
  return 0;
}
