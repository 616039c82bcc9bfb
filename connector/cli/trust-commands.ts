import { parseManagementArgs } from './connection.ts';
import { UsageError } from './usage-error.ts';

type Out = (line: string) => void;

export const MEMBERS_USAGE = `Usage: hdc members <list|admit|suspend> [options]   (on a governance authority)
  list
  admit   --did <did> --name <name> --role <hospital|research-institute> --dsp-address <url>
          --legal-name <name> --registration <kind:value> --country <CC> [--organization-type <text>]
  suspend <did> --reason <text>     suspends the member and revokes its participant credentials`;

export const CREDENTIALS_USAGE = `Usage: hdc credentials <list|grant-permit|revoke> [options]   (on a governance authority)
  list          [--subject <did>] [--type <CredentialType>]
  grant-permit  --holder <did> --project <id> --purpose <purpose>... (--category <c>... | --dataset <iri>...)
                --valid-until <ISO date-time>
  revoke <id>   --reason <text>`;

export const WALLET_USAGE = `Usage: hdc wallet <list|request|requests|offers> [options]
  list                       the credentials this connector holds
  request [--authority <did>] [--wait <seconds>]
                             request them from the authority over DCP and wait for the delivery (30 s)
  requests                   the credential requests this connector sent, and what came of them
  offers                     the credential offers issuers sent, and what came of them`;

/** The action a command's first positional names; anything else is a usage error. */
export function subcommand(positionals: string[], known: string[], usage: string): string {
  const [name] = positionals;
  if (!name || !known.includes(name)) throw new UsageError(name ? `Unknown action "${name}".` : 'Say which action.', usage);
  return name;
}

function required(values: Record<string, unknown>, name: string, usage: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required.`, usage);
  return value;
}

export async function membersCommand(args: string[], out: Out): Promise<number> {
  const options = {
    did: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    'dsp-address': { type: 'string' },
    'legal-name': { type: 'string' },
    registration: { type: 'string' },
    country: { type: 'string' },
    'organization-type': { type: 'string' },
    reason: { type: 'string' },
  } as const;
  const { values, positionals, client } = parseManagementArgs(args, options, MEMBERS_USAGE);
  const action = subcommand(positionals, ['list', 'admit', 'suspend'], MEMBERS_USAGE);
  if (action === 'list') {
    const { members } = await client.get<{ members: { did: string; name: string; role: string; status: string; dspAddress: string }[] }>('/members');
    if (members.length === 0) out('No members yet.');
    for (const m of members) out(`${m.status.padEnd(9)} ${m.role.padEnd(18)} ${m.name}\n          ${m.did}  ${m.dspAddress}`);
    return 0;
  }
  if (action === 'suspend') {
    const did = positionals[1];
    if (!did) throw new UsageError('Name the member DID to suspend.', MEMBERS_USAGE);
    await client.post(`/members/${encodeURIComponent(did)}/suspend`, { reason: required(values, 'reason', MEMBERS_USAGE) });
    out(`Suspended ${did}; its participant credentials are revoked.`);
    return 0;
  }
  const [kind, ...rest] = required(values, 'registration', MEMBERS_USAGE).split(':');
  const result = await client.post<{ member: { did: string }; credential: { id: string } }>('/members', {
    did: required(values, 'did', MEMBERS_USAGE),
    name: required(values, 'name', MEMBERS_USAGE),
    role: required(values, 'role', MEMBERS_USAGE),
    dspAddress: required(values, 'dsp-address', MEMBERS_USAGE),
    legalName: required(values, 'legal-name', MEMBERS_USAGE),
    registrationNumber: { kind, value: rest.join(':') },
    headquartersCountry: required(values, 'country', MEMBERS_USAGE),
    ...(values['organization-type'] ? { organizationType: values['organization-type'] } : {}),
  });
  out(`Admitted ${result.member.did}\n  participant credential ${result.credential.id}`);
  return 0;
}

export async function credentialsCommand(args: string[], out: Out): Promise<number> {
  const options = {
    subject: { type: 'string' },
    type: { type: 'string' },
    holder: { type: 'string' },
    project: { type: 'string' },
    purpose: { type: 'string', multiple: true },
    category: { type: 'string', multiple: true },
    dataset: { type: 'string', multiple: true },
    'valid-until': { type: 'string' },
    reason: { type: 'string' },
  } as const;
  const { values, positionals, client } = parseManagementArgs(args, options, CREDENTIALS_USAGE);
  const action = subcommand(positionals, ['list', 'grant-permit', 'revoke'], CREDENTIALS_USAGE);
  if (action === 'list') {
    const query = new URLSearchParams({ ...(values.subject ? { subject: values.subject } : {}), ...(values.type ? { type: values.type } : {}) });
    const { credentials } = await client.get<{ credentials: { id: string; types: string[]; subject: string; revokedAt: string | null; validUntil: string | null }[] }>(
      `/credentials?${query}`,
    );
    if (credentials.length === 0) out('No credentials issued.');
    for (const c of credentials)
      out(
        `${c.revokedAt ? 'revoked' : 'valid  '} ${c.types
          .filter((t) => t !== 'VerifiableCredential')
          .join(',')
          .padEnd(22)} ${c.subject}  until ${c.validUntil ?? '-'}\n        ${c.id}`,
      );
    return 0;
  }
  if (action === 'revoke') {
    const id = positionals[1];
    if (!id) throw new UsageError('Name the credential id to revoke.', CREDENTIALS_USAGE);
    await client.post(`/credentials/${encodeURIComponent(id)}/revoke`, { reason: required(values, 'reason', CREDENTIALS_USAGE) });
    out(`Revoked ${id}. Verifiers see it at their next status list refresh.`);
    return 0;
  }
  if (!values.purpose?.length) throw new UsageError('--purpose is required (repeat it for several).', CREDENTIALS_USAGE);
  const permit = await client.post<{ id: string; validUntil: string }>('/permits', {
    holder: required(values, 'holder', CREDENTIALS_USAGE),
    projectId: required(values, 'project', CREDENTIALS_USAGE),
    purposes: values.purpose,
    ...(values.category?.length ? { healthCategories: values.category } : {}),
    ...(values.dataset?.length ? { datasets: values.dataset } : {}),
    validUntil: required(values, 'valid-until', CREDENTIALS_USAGE),
  });
  out(`Granted data permit ${permit.id}, valid until ${permit.validUntil}`);
  return 0;
}

export async function walletCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals, client } = parseManagementArgs(args, { authority: { type: 'string' }, wait: { type: 'string' } } as const, WALLET_USAGE);
  const action = subcommand(positionals, ['list', 'request', 'requests', 'offers'], WALLET_USAGE);
  if (action === 'list') {
    const { credentials } = await client.get<{ credentials: { id: string; types: string[]; issuer: string; validUntil: string | null }[] }>('/wallet/credentials');
    if (credentials.length === 0) out('The wallet is empty.');
    for (const c of credentials)
      out(
        `${c.types
          .filter((t) => t !== 'VerifiableCredential')
          .join(',')
          .padEnd(22)} from ${c.issuer}  until ${c.validUntil ?? '-'}\n  ${c.id}`,
      );
    return 0;
  }
  if (action === 'requests') {
    const { requests } = await client.get<{ requests: { holderPid: string; issuerDid: string; requested: string[]; status: string; reason: string | null; createdAt: string }[] }>(
      '/wallet/credential-requests',
    );
    if (requests.length === 0) out('No credential request was sent.');
    for (const r of requests) out(`${r.status.padEnd(9)} ${r.createdAt}  ${r.requested.join(',')} from ${r.issuerDid}${r.reason ? `: ${r.reason}` : ''}\n  ${r.holderPid}`);
    return 0;
  }
  if (action === 'offers') {
    const { offers } = await client.get<{ offers: { issuerDid: string; credentials: { id: string }[]; status: string; note: string | null; receivedAt: string }[] }>(
      '/wallet/offers',
    );
    if (offers.length === 0) out('No credential offer was received.');
    for (const o of offers) out(`${o.status.padEnd(9)} ${o.receivedAt}  ${o.credentials.map((c) => c.id).join(',')} from ${o.issuerDid}${o.note ? `: ${o.note}` : ''}`);
    return 0;
  }
  const wait = values.wait === undefined ? undefined : Number(values.wait);
  if (wait !== undefined && !(Number.isInteger(wait) && wait >= 1 && wait <= 120)) throw new UsageError('--wait takes a number of seconds from 1 to 120.', WALLET_USAGE);
  const result = await client.post<{
    status: string;
    rejectionReason?: string;
    stored: { id: string; types: string[] }[];
    refused: { id?: string; code: string; message: string }[];
  }>('/wallet/request', { ...(values.authority ? { authorityDid: values.authority } : {}), ...(wait ? { waitSeconds: wait } : {}) });
  if (result.status === 'REJECTED') out(`The authority rejected the request: ${result.rejectionReason ?? 'no reason given'}`);
  out(`Stored ${result.stored.length} credential(s)${result.stored.length ? `: ${result.stored.map((c) => c.types.at(-1)).join(', ')}` : ''}.`);
  for (const r of result.refused) out(`Refused ${r.id ?? '(no id)'}: ${r.code}: ${r.message}`);
  return result.status === 'ISSUED' && result.refused.length === 0 ? 0 : 1;
}
