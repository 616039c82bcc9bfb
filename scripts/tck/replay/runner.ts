import type { TckSettings } from '../settings.ts';
import { createCallbackServer } from './callbacks.ts';
import { tckHttp } from './http.ts';
import type { Scenario } from './scenario.ts';
import { CAT_SCENARIOS, MET_SCENARIOS } from './catalog.ts';
import { CN_SCENARIOS } from './negotiation-provider.ts';
import { CN_C_SCENARIOS } from './negotiation-consumer.ts';
import { TP_SCENARIOS } from './transfer-provider.ts';
import { TP_C_SCENARIOS } from './transfer-consumer.ts';

/** The 65 runnable scenarios of the DSP TCK (README §6.4), in the TCK's order. */
export const ALL_SCENARIOS: Scenario[] = [...MET_SCENARIOS, ...CAT_SCENARIOS, ...CN_SCENARIOS, ...CN_C_SCENARIOS, ...TP_SCENARIOS, ...TP_C_SCENARIOS];

export interface ReplayResult {
  passed: string[];
  failed: { id: string; message: string }[];
}

export interface ReplayOptions {
  /** Only scenarios whose id starts with one of these (e.g. "CN:", "TP_C:01"). */
  only?: string[];
  /** Console lines go here (default console.log). */
  print?: (line: string) => void;
}

/**
 * Plays the TCK's counter-party for each scenario against the connector the settings describe, with the
 * TCK's callback server at dataspacetck.callback.address, and prints what the TCK prints.
 */
export async function runReplay(settings: TckSettings, options: ReplayOptions = {}): Promise<ReplayResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const callbacks = createCallbackServer();
  const bind = settings.callbackAddress;
  await callbacks.listen(Number(bind.port || 80), bind.hostname === 'localhost' ? '127.0.0.1' : bind.hostname);
  const http = tckHttp(settings.authorization);
  const result: ReplayResult = { passed: [], failed: [] };
  const selected = ALL_SCENARIOS.filter((s) => !options.only?.length || options.only.some((prefix) => s.id.startsWith(prefix)));
  print('Running DSP TCK v2025.1 (replay)');
  try {
    for (const scenario of selected) {
      print(`Started: ${scenario.id}: ${scenario.title}`);
      try {
        await scenario.run({
          settings,
          http,
          callbacks,
          callbackAddress: settings.callbackAddress.href.replace(/\/+$/, ''),
          dsp: settings.httpUrl.href.replace(/\/+$/, ''),
          ids: settings.tests.get(scenario.key) ?? {},
          waitMs: settings.waitSeconds * 1000,
        });
        result.passed.push(scenario.id);
        print(`SUCCESSFUL: ${scenario.id}`);
      } catch (error) {
        result.failed.push({ id: scenario.id, message: (error as Error).message });
        print(`FAILED: ${scenario.id}`);
      } finally {
        callbacks.reset();
      }
    }
  } finally {
    await callbacks.close();
  }
  print(`Passed tests: ${result.passed.length}`);
  print(`Failed tests: ${result.failed.length}`);
  if (result.failed.length > 0) {
    print('Failures:');
    for (const failure of result.failed) print(`■ ${failure.id}\n  ${failure.message}`);
  } else print('🎉😃🚀All tests passed');
  print('Test run complete');
  return result;
}
