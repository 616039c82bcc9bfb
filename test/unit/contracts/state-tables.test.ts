import { describe, expect, it } from 'vitest';
import { NEGOTIATION_STATES, NEGOTIATION_TRANSITIONS, negotiationMachine, type NegotiationMessage } from '../../../contracts/negotiation/state-machine.ts';
import { TRANSFER_STATES, TRANSFER_TRANSITIONS, transferMachine, type TransferMessage } from '../../../contracts/transfer/state-machine.ts';
import type { TransitionEngine, TransitionRow } from '../../../contracts/process/transition-engine.ts';

/**
 * Every row of both DSP state tables, checked through the one engine: the row's sender moves a process from
 * each of its `from` states to `to`; from any other state the same message is refused; the other side never
 * sends it; a repeat in `to` is harmless exactly where the row says so.
 */
function checkEveryRow<S extends string, M extends string, R extends string>(
  name: string,
  states: readonly S[],
  rows: readonly TransitionRow<S, M, R>[],
  engine: TransitionEngine<S, M, R>,
  roles: readonly R[],
) {
  describe(`${name}: every row of the table`, () => {
    for (const row of rows) {
      const label = `${row.message} sent by the ${row.sender}: ${row.from.length ? row.from.join('|') : '(start)'} -> ${row.to}`;
      describe(label, () => {
        if (row.from.length === 0) {
          it('starts a process', () => expect(engine.next(row.message, row.sender, undefined)).toEqual({ ok: true, to: row.to, repeated: false }));
        }
        for (const from of row.from) {
          it(`moves ${from} to ${row.to}`, () => expect(engine.next(row.message, row.sender, from)).toEqual({ ok: true, to: row.to, repeated: false }));
        }
        it('is refused from every state no row of this message and sender allows', () => {
          const allowed = new Set(rows.filter((r) => r.message === row.message && r.sender === row.sender).flatMap((r) => r.from));
          for (const state of states.filter((s) => !allowed.has(s))) {
            const result = engine.next(row.message, row.sender, state);
            expect(result.ok, `${row.message} in ${state}`).toBe(false);
            if (!result.ok) expect(result.reason).toContain(`not allowed in state ${state}`);
          }
        });
        if (row.from.length > 0) {
          it(row.repeatable ? `a repeat of the same message in ${row.to} changes nothing` : `a repeat in ${row.to} is an error`, () => {
            const result = engine.next(row.message, row.sender, row.to, true);
            if (row.repeatable) expect(result).toEqual({ ok: true, to: row.to, repeated: true });
            else expect(result.ok).toBe(false);
          });
        }
        it(`counts a receiver in ${row.to} as having applied it`, () => expect(engine.reached(row.message)).toContain(row.to));
      });
    }
    it('a side never receives a message only the other side sends', () => {
      for (const message of new Set(rows.map((r) => r.message))) {
        for (const role of roles.filter((r) => !rows.some((row) => row.message === message && row.sender === r))) {
          expect(engine.next(message, role, states[0])).toEqual({ ok: false, reason: `a ${role} does not send ${message}` });
        }
      }
    });
  });
}

checkEveryRow('contract negotiation', NEGOTIATION_STATES, NEGOTIATION_TRANSITIONS, negotiationMachine, ['provider', 'consumer']);
checkEveryRow('transfer process', TRANSFER_STATES, TRANSFER_TRANSITIONS, transferMachine, ['provider', 'consumer']);

describe('what a sender learns from a refused message and the peer state', () => {
  const reached = (m: NegotiationMessage) => negotiationMachine.reached(m);
  it('an agreement was applied by a consumer that is AGREED, VERIFIED or FINALIZED, not by one still REQUESTED', () => {
    expect(reached('ContractAgreementMessage')).toEqual(expect.arrayContaining(['AGREED', 'VERIFIED', 'FINALIZED']));
    expect(reached('ContractAgreementMessage')).not.toContain('REQUESTED');
  });
  it('a verification was applied by a provider that is VERIFIED or FINALIZED', () => {
    expect([...reached('ContractAgreementVerificationMessage')].sort()).toEqual(['FINALIZED', 'VERIFIED']);
  });
  it('termination is applied only by a TERMINATED peer, and nothing else counts a TERMINATED peer as progress', () => {
    expect(reached('ContractNegotiationTerminationMessage')).toEqual(['TERMINATED']);
    for (const m of ['ContractRequestMessage', 'ContractAgreementMessage', 'ContractNegotiationEventMessage:FINALIZED'] as NegotiationMessage[])
      expect(reached(m)).not.toContain('TERMINATED');
  });
  it('a transfer start was applied by a peer that is STARTED, SUSPENDED or COMPLETED', () => {
    expect([...transferMachine.reached('TransferStartMessage' as TransferMessage)].sort()).toEqual(['COMPLETED', 'STARTED', 'SUSPENDED']);
  });
  it('a duplicate counter-request is an error, not a repeat (DSP TCK CN:03-04)', () => {
    const result = negotiationMachine.next('ContractRequestMessage', 'consumer', 'REQUESTED', true);
    expect(result.ok).toBe(false);
  });
});
