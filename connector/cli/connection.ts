import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ManagementClient, managementClientFromConfig } from './management-client.ts';
import { UsageError } from './usage-error.ts';

/** Options every management command takes to find its connector. */
export const CONNECTION_OPTIONS = {
  config: { type: 'string', short: 'c' },
  url: { type: 'string' },
  'api-key-file': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const CONNECTION_USAGE = `Connector: --config <file.json> (its URL and API key), or --url <url> with --api-key-file <file>
  (or the environment variables HDC_URL and HDC_API_KEY).`;

/** Parses a management command's arguments and returns its options, positionals and a client for its connector. */
export function parseManagementArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: T,
  usage: string,
  env: Record<string, string | undefined> = process.env,
) {
  const parsed = parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...options }, allowPositionals: true, strict: true });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  let client: ManagementClient;
  if (typeof values.config === 'string') {
    client = managementClientFromConfig(values.config, env);
  } else {
    const url = (values.url as string | undefined) ?? env.HDC_URL;
    const keyFile = values['api-key-file'] as string | undefined;
    const apiKey = keyFile ? readFileSync(keyFile, 'utf8').trim() : env.HDC_API_KEY;
    if (!url || !apiKey) throw new UsageError('Say which connector: --config, or --url with --api-key-file.', `${usage}\n${CONNECTION_USAGE}`);
    client = new ManagementClient(url, apiKey);
  }
  return { values: parsed.values, positionals: parsed.positionals, client };
}
