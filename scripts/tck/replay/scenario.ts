import type { TckSettings, TestIds } from '../settings.ts';
import type { CallbackServer } from './callbacks.ts';
import type { TckHttp } from './http.ts';
import { ScenarioFailure, readDsp, stateOf } from './jsonld.ts';

/** What every scenario gets: the settings, the TCK's HTTP client and callback server, its configured ids. */
export interface ScenarioContext {
  settings: TckSettings;
  http: TckHttp;
  callbacks: CallbackServer;
  /** The callback address the CUT is given (no trailing slash). */
  callbackAddress: string;
  /** The CUT's DSP base (no trailing slash). */
  dsp: string;
  ids: TestIds;
  /** Per step, like dataspacetck.dsp.default.wait. */
  waitMs: number;
  /** The data address the TCK's TransferStartMessage carries (a placeholder, unless a test serves data). */
  dataAddress: Record<string, unknown>;
  /** The TCK's own participant id (TCK_PARTICIPANT; a standard peer's DID). */
  participantId: string;
  /** Asks the connector under test to start a negotiation or a transfer (the TCK POSTs to its trigger URLs). */
  trigger(kind: 'negotiation' | 'transfer', body: Record<string, string>): Promise<unknown>;
}

export interface Scenario {
  /** The TCK's display id, e.g. CN:01-01. */
  id: string;
  /** The properties key prefix, e.g. CN_01_01. */
  key: string;
  title: string;
  run(ctx: ScenarioContext): Promise<void>;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The TCK pauses before most sends. */
export const pause = () => sleep(100);

export function need(ids: TestIds, field: string, key: string): string {
  const value = ids[field];
  if (!value) throw new ScenarioFailure(`the properties set no ${key}_${field}`);
  return value;
}

/** GETs a process once and checks its state (the TCK's CN "verify" steps). */
export async function stateIs(ctx: ScenarioContext, url: string, type: string, expected: string): Promise<void> {
  const state = stateOf(await readDsp(await ctx.http.getJson(url), type));
  if (state !== expected) throw new ScenarioFailure(`expected state ${expected} at ${url}, found ${state}`);
}

/** Polls a process until it is in `expected` (the TCK's TP "verify" steps, awaitility). */
export async function becomes(ctx: ScenarioContext, url: string, type: string, expected: string): Promise<void> {
  const deadline = Date.now() + ctx.waitMs;
  let state = '';
  for (;;) {
    state = stateOf(await readDsp(await ctx.http.getJson(url), type));
    if (state === expected) return;
    if (Date.now() > deadline) throw new ScenarioFailure(`expected state ${expected} at ${url} within ${ctx.waitMs} ms, found ${state}`);
    await sleep(200);
  }
}

/** Expands every id a scenario table lists into scenarios: `CN:01-01` ↔ key `CN_01_01`. */
export function scenarios(group: string, table: Record<string, [string, (ctx: ScenarioContext, key: string) => Promise<void>]>): Scenario[] {
  return Object.entries(table).map(([number, [title, run]]) => {
    const key = `${group}_${number.replace('-', '_')}`;
    return { id: `${group}:${number}`, key, title, run: (ctx: ScenarioContext) => run(ctx, key) };
  });
}

/** A party of the TCK in one scenario: its steps (sends, expectations) and `state`, the state check. */
export type Party = Record<string, (arg: never) => Promise<unknown>>;

/**
 * Plays a scenario's steps, separated by spaces: `request` runs the party's step, `terminate!` sends
 * expecting an error answer, `~offer` starts expecting what the party's `offer` expects and `@offer`
 * waits for it (several of one name are met in order), `=TERMINATED` checks the process's state.
 */
export async function play(party: Party, script: string): Promise<void> {
  const run = (name: string, arg?: unknown) => {
    const step = party[name] as ((arg?: unknown) => Promise<unknown>) | undefined;
    if (!step) throw new Error(`the replay has no step ${name}`);
    return step(arg);
  };
  const pending = new Map<string, Promise<unknown>[]>();
  for (const token of script.split(/\s+/).filter(Boolean)) {
    const name = token.replace(/^[~@=]|!$/g, '');
    if (token.startsWith('=')) await run('state', name);
    else if (token.startsWith('~')) {
      const expected = run(name);
      expected.catch(() => {}); // awaited (and its failure reported) at its @ step
      pending.set(name, [...(pending.get(name) ?? []), expected]);
    } else if (token.startsWith('@')) {
      const expected = pending.get(name)?.shift();
      if (!expected) throw new Error(`the replay waits for ${name} it never expected`);
      await expected;
    } else await run(name, token.endsWith('!') || undefined);
  }
}

/** Scenarios whose steps are scripts for `play`, each with a new party. */
export function scripted(group: string, partyFor: (ctx: ScenarioContext, key: string) => Party, table: Record<string, [title: string, script: string]>): Scenario[] {
  return scenarios(group, Object.fromEntries(Object.entries(table).map(([number, [title, script]]) => [number, [title, (ctx, key) => play(partyFor(ctx, key), script)]])));
}
