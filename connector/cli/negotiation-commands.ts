import { parseManagementArgs } from './connection.ts';
import { UsageError } from './usage-error.ts';
import { subcommand } from './trust-commands.ts';
import type { ManagementClient } from './management-client.ts';

type Out = (line: string) => void;

export const NEGOTIATE_USAGE = `Usage: hdc negotiate <datasetId> [--offer <offerId>] [--provider <did>] [--no-wait]
  Starts a contract negotiation for a dataset found in the federated catalog and, unless --no-wait,
  waits until it is FINALIZED or TERMINATED and prints the outcome and its reasons.`;

export const NEGOTIATIONS_USAGE = `Usage: hdc negotiations <list|show|terminate|approve|reject|accept|agreements> [options]
  list                         negotiations, newest first
  show <id>
  terminate <id> --reason <text>
  approve <id>                 (provider) agree to a request that awaits approval
  reject <id> --reason <text>  (provider)
  accept <id>                  (consumer) accept the provider's offer as it stands
  agreements                   agreements, newest first`;

interface NegotiationView {
  id: string;
  role: string;
  state: string;
  counterpartyDid: string;
  datasetId: string;
  agreementId: string | null;
  pending: string | null;
  reasons: string[];
}

const describe = (n: NegotiationView) =>
  `${n.state.padEnd(10)} ${n.role.padEnd(8)} ${n.datasetId}\n  ${n.id}  with ${n.counterpartyDid}${n.agreementId ? `\n  agreement ${n.agreementId}` : ''}${n.pending ? `\n  awaiting ${n.pending}` : ''}${n.reasons.length ? `\n  reasons: ${n.reasons.join('; ')}` : ''}`;

function waitForOutcome(client: ManagementClient, id: string): Promise<NegotiationView> {
  return client.get<NegotiationView>(`/negotiations/${encodeURIComponent(id)}?waitFor=FINALIZED,TERMINATED&timeoutMs=60000`);
}

export async function negotiateCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals, client } = parseManagementArgs(
    args,
    { offer: { type: 'string' }, provider: { type: 'string' }, 'no-wait': { type: 'boolean' } } as const,
    NEGOTIATE_USAGE,
  );
  const [datasetId] = positionals;
  if (!datasetId) throw new UsageError('Name the dataset (its id from "hdc catalog search").', NEGOTIATE_USAGE);
  const started = await client.post<NegotiationView>('/negotiations', {
    datasetId,
    ...(values.offer ? { offerId: values.offer } : {}),
    ...(values.provider ? { providerDid: values.provider } : {}),
  });
  out(`Negotiation ${started.id} started with ${started.counterpartyDid}.`);
  if (values['no-wait']) return 0;
  const outcome = await waitForOutcome(client, started.id);
  out(describe(outcome));
  return outcome.state === 'FINALIZED' ? 0 : 1;
}

export async function negotiationsCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals, client } = parseManagementArgs(args, { reason: { type: 'string' } } as const, NEGOTIATIONS_USAGE);
  const action = subcommand(positionals, ['list', 'show', 'terminate', 'approve', 'reject', 'accept', 'agreements'], NEGOTIATIONS_USAGE);
  if (action === 'list') {
    const { negotiations } = await client.get<{ negotiations: NegotiationView[] }>('/negotiations');
    if (negotiations.length === 0) out('No negotiations.');
    for (const n of negotiations) out(describe(n));
    return 0;
  }
  if (action === 'agreements') {
    const { agreements } = await client.get<{
      agreements: { id: string; role: string; datasetId: string; providerDid: string; consumerDid: string; counterSigned: boolean; transferCount: number }[];
    }>('/agreements');
    if (agreements.length === 0) out('No agreements.');
    for (const a of agreements)
      out(
        `${a.id}\n  ${a.role} of ${a.datasetId}\n  provider ${a.providerDid}, consumer ${a.consumerDid}, ${a.counterSigned ? 'signed by both' : 'awaiting counter-signature'}, ${a.transferCount} transfer(s)`,
      );
    return 0;
  }
  const id = positionals[1];
  if (!id) throw new UsageError('Name the negotiation id.', NEGOTIATIONS_USAGE);
  const path = `/negotiations/${encodeURIComponent(id)}`;
  const reason = () => {
    if (!values.reason) throw new UsageError('--reason is required.', NEGOTIATIONS_USAGE);
    return { reason: values.reason };
  };
  const result =
    action === 'show'
      ? await client.get<NegotiationView>(path)
      : action === 'approve' || action === 'accept'
        ? await client.post<NegotiationView>(`${path}/${action}`)
        : await client.post<NegotiationView>(`${path}/${action}`, reason());
  out(describe(result));
  return 0;
}
