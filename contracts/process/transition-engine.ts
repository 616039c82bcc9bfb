/**
 * The one transition engine behind both DSP state machines. A table lists, for every protocol message,
 * which side sends it, from which states and to which state; the engine answers where a process goes.
 * Both sides apply the same row: the sender when it decides to send (a local action, an operator's or a
 * timer's), the receiver when the message arrives. Nothing else changes a process's state.
 */
export interface TransitionRow<S extends string, M extends string, R extends string> {
  message: M;
  /** Who sends the message. */
  sender: R;
  /** States it may arrive in; empty: it starts a process. */
  from: readonly S[];
  to: S;
  /**
   * Whether the same message (same content) arriving again in `to` is a harmless repeat, answered as the
   * first one was. False where the protocol requires an error for a duplicate (DSP TCK CN:03-04).
   */
  repeatable: boolean;
}

export type Transition<S extends string> = { ok: true; to: S; repeated: boolean } | { ok: false; reason: string };

export interface TransitionEngine<S extends string, M extends string, R extends string> {
  readonly rows: readonly TransitionRow<S, M, R>[];
  /**
   * Where `sender`'s `message` takes a process in `current` (undefined: no process yet). `repeatOf` says
   * whether this exact message was already applied to the process (by its content digest).
   */
  next(message: M, sender: R, current: S | undefined, repeatOf?: boolean): Transition<S>;
  /** States in which a receiver shows that it has applied `message` (the target and every state after it). */
  reached(message: M): readonly S[];
}

/**
 * Builds an engine over `rows`. `after` lists, per state, the states a process can reach from it, so a
 * sender can tell a peer already past its message from a peer that refused it.
 */
export function createTransitionEngine<S extends string, M extends string, R extends string>(
  rows: readonly TransitionRow<S, M, R>[],
  after: Record<S, readonly S[]>,
): TransitionEngine<S, M, R> {
  return {
    rows,
    next(message, sender, current, repeatOf = false) {
      const rules = rows.filter((t) => t.message === message && t.sender === sender);
      if (rules.length === 0) return { ok: false, reason: `a ${sender} does not send ${message}` };
      if (current === undefined) {
        const start = rules.find((t) => t.from.length === 0);
        return start ? { ok: true, to: start.to, repeated: false } : { ok: false, reason: `${message} cannot start a process` };
      }
      if (repeatOf) {
        // A message that starts a process is recognised again by the process it started (its pid), not here.
        const again = rules.find((t) => t.to === current && t.repeatable && t.from.length > 0);
        if (again) return { ok: true, to: current, repeated: true };
      }
      const rule = rules.find((t) => t.from.includes(current));
      if (rule) return { ok: true, to: rule.to, repeated: false };
      return { ok: false, reason: `${message} is not allowed in state ${current}` };
    },
    reached(message) {
      const targets = new Set<S>();
      for (const row of rows) {
        if (row.message !== message) continue;
        targets.add(row.to);
        for (const later of after[row.to]) targets.add(later);
      }
      return [...targets];
    },
  };
}
