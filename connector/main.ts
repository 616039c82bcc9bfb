import { runCli } from './cli/hdc.ts';

/** `npm start -- --config <file>`: the same as `hdc start --config <file>`. */
process.exit(await runCli(['start', ...process.argv.slice(2)]));
