import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from './config.ts';
import { startConnector } from './server.ts';

/**
 * `npm start -- --config examples/hospital.json`: runs one connector until SIGTERM or SIGINT, then stops
 * gracefully. Exit codes: 0 after a clean stop, 1 when start-up fails, 2 for bad arguments or config.
 */
const USAGE = 'Usage: npm start -- --config <file.json>\n  Environment overrides: CONNECTOR_PORT, CONNECTOR_HOST, CONNECTOR_PUBLIC_URL, CONNECTOR_DATA_DIR, DATABASE_URL, CONNECTOR_API_KEY, CONNECTOR_LOG_LEVEL';

async function main(): Promise<number> {
  let configPath: string | undefined;
  try {
    const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    configPath = values.config;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!configPath) {
    console.error(`Missing --config.\n${USAGE}`);
    return 2;
  }
  let config;
  try {
    config = loadConfigFile(configPath);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const connector = await startConnector(config);
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

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'connector failed to start', error: { name: error.name, message: error.message } }));
    process.exit(1);
  },
);
