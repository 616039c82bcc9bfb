import { parseArgs } from 'node:util';
import { join, resolve } from 'node:path';
import { loadOrCreateIdentityKey, IDENTITY_KEY_FILE } from '../identity/keys.ts';
import { buildDidDocument, didWebFromUrl } from '../identity/did-web.ts';
import { UsageError } from './usage-error.ts';

export const INIT_USAGE = `Usage: hdc init --data-dir <dir> --public-url <url>
  Creates the connector's Ed25519 identity key in <dir>/keys (mode 0600) unless one exists, and prints the
  DID and the DID document the connector will serve at <url>/.well-known/did.json.`;

/** `hdc init`: create a key and DID before the first start (for example to register with an authority). */
export async function initCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { 'data-dir': { type: 'string' }, 'public-url': { type: 'string' } }, strict: true });
  if (!values['data-dir'] || !values['public-url']) throw new UsageError('Both --data-dir and --public-url are required.', INIT_USAGE);
  let publicUrl: string;
  try {
    publicUrl = new URL(values['public-url']).origin + new URL(values['public-url']).pathname.replace(/\/+$/, '');
  } catch {
    throw new UsageError(`--public-url "${values['public-url']}" is not a URL.`, INIT_USAGE);
  }
  const dataDir = resolve(values['data-dir']);
  const { key, created } = loadOrCreateIdentityKey(dataDir);
  const did = didWebFromUrl(publicUrl);
  out(`${created ? 'Created' : 'Kept the existing'} identity key ${join(dataDir, IDENTITY_KEY_FILE)}`);
  out(`DID: ${did}`);
  out('DID document:');
  out(JSON.stringify(buildDidDocument(did, key.publicKeyMultibase, publicUrl), null, 2));
  return 0;
}
