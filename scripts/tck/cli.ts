import { parseArgs } from 'node:util';

/** What a fixture's command line gives it besides the properties file. */
export interface FixtureOptions {
  dataDir?: string;
  database?: string;
}

/**
 * `npm run <command> -- --properties FILE [--data-dir DIR] [--database …]`: starts a TCK fixture from the
 * TCK's properties, prints `ready`, and stops it on SIGTERM or SIGINT (the DSP and the DCP fixtures alike).
 */
export async function serveFixture<S, F extends { close(): Promise<void> }>(
  command: string,
  load: (path: string) => S,
  start: (settings: S, options: FixtureOptions) => Promise<F>,
  ready: (settings: S, fixture: F) => string,
): Promise<void> {
  const { values } = parseArgs({ options: { properties: { type: 'string' }, 'data-dir': { type: 'string' }, database: { type: 'string' } } });
  if (!values.properties) {
    console.error(`usage: npm run ${command} -- --properties FILE [--data-dir DIR] [--database sqlite|postgres://…]`);
    process.exit(2);
  }
  const settings = load(values.properties);
  const fixture = await start(settings, {
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values.database ? { database: values.database } : {}),
  });
  console.log(ready(settings, fixture));
  const stop = async () => {
    await fixture.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

/** The end of a TCK run as the TCK prints it: the totals, each failure with its message, and the last line. */
export function printOutcome(print: (line: string) => void, result: { passed: string[]; failed: { id: string; message: string }[] }, allPassed: string): void {
  print(`Passed tests: ${result.passed.length}`);
  print(`Failed tests: ${result.failed.length}`);
  if (result.failed.length > 0) {
    print('Failures:');
    for (const failure of result.failed) print(`■ ${failure.id}\n  ${failure.message}`);
  } else print(allPassed);
  print('Test run complete');
}
