/**
 * `npm run coverage [-- vitest options]`: coverage of the unit tests (vitest.unit.config.ts), or of the
 * config given with --config, e.g. `npm run coverage -- --config vitest.config.ts` for every test.
 * Vitest refuses a second --config, hence this wrapper instead of a fixed one in package.json.
 */
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const configGiven = args.some((arg) => arg === '--config' || arg === '-c' || arg.startsWith('--config='));
const vitest = new URL('../node_modules/vitest/vitest.mjs', import.meta.url).pathname;
const run = spawnSync(process.execPath, [vitest, 'run', '--coverage', ...(configGiven ? [] : ['--config', 'vitest.unit.config.ts']), ...args], { stdio: 'inherit' });
process.exitCode = run.status ?? 1;
