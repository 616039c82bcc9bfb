#!/usr/bin/env -S node --max-semi-space-size=4 --max-old-space-size=512
import { ConfigError } from '../config.ts';
import { startCommand, START_USAGE } from './start.ts';
import { initCommand, INIT_USAGE } from './init.ts';
import { identityCommand, IDENTITY_USAGE } from './identity.ts';
import { ManagementApiError } from './management-client.ts';
import { catalogCommand, CATALOG_USAGE, datasetsCommand, DATASETS_USAGE } from './catalog-commands.ts';
import { negotiateCommand, NEGOTIATE_USAGE, negotiationsCommand, NEGOTIATIONS_USAGE } from './negotiation-commands.ts';
import { transfersCommand, TRANSFERS_USAGE } from './transfer-commands.ts';
import { credentialsCommand, CREDENTIALS_USAGE, membersCommand, MEMBERS_USAGE, walletCommand, WALLET_USAGE } from './trust-commands.ts';
import { auditCommand, AUDIT_USAGE } from './audit-commands.ts';
import { UsageError } from './usage-error.ts';

/**
 * The operator CLI. Exit codes: 0 success, 1 the action failed, 2 wrong arguments or configuration.
 * Errors are printed as one readable message, never a stack trace.
 */
const USAGE = `Usage: hdc <command> [options]

Commands:
  start     run a connector from a config file
  init      create a connector's key and DID
  identity  show a running connector's name, role, DID and addresses
  datasets  list, add and remove this connector's datasets
  catalog   search the federated catalog; crawl peers; peer status
  negotiate start a contract negotiation for a dataset and wait for the outcome
  negotiations list, show, approve, reject, terminate negotiations; list agreements
  transfers start a transfer with a progress bar; list, show, suspend, resume, terminate; download data
  wallet    list held credentials; collect them from the authority
  members   (authority) list, admit and suspend members
  credentials (authority) list issued credentials, grant data permits, revoke
  audit     verify the audit trail (online, or offline on a data directory); export it as JSON lines

Run "hdc <command> --help" for a command's options.`;

const COMMANDS: Record<string, { run: (args: string[]) => Promise<number>; usage: string }> = {
  start: { run: startCommand, usage: START_USAGE },
  init: { run: (args) => initCommand(args, console.log), usage: INIT_USAGE },
  identity: { run: (args) => identityCommand(args, console.log), usage: IDENTITY_USAGE },
  datasets: { run: (args) => datasetsCommand(args, console.log), usage: DATASETS_USAGE },
  catalog: { run: (args) => catalogCommand(args, console.log), usage: CATALOG_USAGE },
  negotiate: { run: (args) => negotiateCommand(args, console.log), usage: NEGOTIATE_USAGE },
  negotiations: { run: (args) => negotiationsCommand(args, console.log), usage: NEGOTIATIONS_USAGE },
  transfers: { run: (args) => transfersCommand(args, console.log), usage: TRANSFERS_USAGE },
  wallet: { run: (args) => walletCommand(args, console.log), usage: WALLET_USAGE },
  members: { run: (args) => membersCommand(args, console.log), usage: MEMBERS_USAGE },
  credentials: { run: (args) => credentialsCommand(args, console.log), usage: CREDENTIALS_USAGE },
  audit: { run: (args) => auditCommand(args, console.log), usage: AUDIT_USAGE },
};

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${error.usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof ManagementApiError) {
      console.error(error.message);
      return 1;
    }
    console.error(`hdc ${name} failed: ${(error as Error).message}`);
    return 1;
  }
}

if (import.meta.main) process.exit(await runCli(process.argv.slice(2)));
