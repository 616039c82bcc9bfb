import { parseManagementArgs } from './connection.ts';

export const IDENTITY_USAGE = `Usage: hdc identity --config <file.json>
  Shows the connector's name, role, DID, addresses and database.`;

interface Identity {
  name: string;
  role: string;
  did: string;
  publicUrl: string;
  dspAddress: string;
  database: { dialect: string; location: string };
}

export async function identityCommand(args: string[], out: (line: string) => void): Promise<number> {
  const { client } = parseManagementArgs(args, {}, IDENTITY_USAGE);
  const identity = await client.get<Identity>('/identity');
  out(`${identity.name} (${identity.role})`);
  out(`  DID          ${identity.did}`);
  out(`  public URL   ${identity.publicUrl}`);
  out(`  DSP address  ${identity.dspAddress}`);
  out(`  database     ${identity.database.dialect} ${identity.database.location}`);
  return 0;
}
