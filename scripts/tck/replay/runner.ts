import { TCK_PARTICIPANT, type TckSettings } from '../settings.ts';
import { printOutcome } from '../cli.ts';
import { createCallbackServer, type Forward } from './callbacks.ts';
import { tckHttp, type Authorize } from './http.ts';
import { reading } from './jsonld.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';
import { CAT_SCENARIOS, MET_SCENARIOS } from './catalog.ts';
import { CN_SCENARIOS } from './negotiation-provider.ts';
import { CN_C_SCENARIOS } from './negotiation-consumer.ts';
import { TP_SCENARIOS } from './transfer-provider.ts';
import { TP_C_SCENARIOS } from './transfer-consumer.ts';

/** What the TCK's TransferStartMessage carries (README §6.4, TP consumer). */
const TCK_DATA_ADDRESS = { '@type': 'DataAddress', endpoint: 'http://example.com', endpointType: 'https://w3id.org/idsa/v4.1/HTTP' };

/** The 65 runnable scenarios of the DSP TCK (README §6.4), in the TCK's order. */
export const ALL_SCENARIOS: Scenario[] = [...MET_SCENARIOS, ...CAT_SCENARIOS, ...CN_SCENARIOS, ...CN_C_SCENARIOS, ...TP_SCENARIOS, ...TP_C_SCENARIOS];

export interface ReplayResult {
  passed: string[];
  failed: { id: string; message: string }[];
  /** How many bodies of each @type were read (schema-validated and expanded with the DSP contexts only). */
  read: Record<string, number>;
}

export interface ReplayOptions {
  /** Only scenarios whose id starts with one of these (e.g. "CN:", "TP_C:01"). */
  only?: string[];
  /** Console lines go here (default console.log). */
  print?: (line: string) => void;
  /** The Authorization header (default: the properties' constant value, as the TCK sends it). */
  authorize?: Authorize;
  /** How the connector is asked to start a process (default: POST to the properties' trigger URLs). */
  trigger?: ScenarioContext['trigger'];
  /** What the callback server does with requests that are not DSP callbacks (default: 404). */
  forward?: Forward;
  /** The replay's participant id in offers and agreements (default TCK_PARTICIPANT). */
  participantId?: string;
  /** The data address of the replay's TransferStartMessages (default: the TCK's placeholder http://example.com). */
  dataAddress?: Record<string, unknown>;
  /** Also validate what the TCK does not: error answers, transfer completion, suspension and termination messages. */
  strict?: boolean;
  /** Runs before the scenarios, with the callback server up (e.g. to negotiate the agreements TP tests name). */
  prepare?: (ctx: ScenarioContext) => Promise<void>;
}

/**
 * Plays the TCK's counter-party for each scenario against the connector the settings describe, with the
 * TCK's callback server at dataspacetck.callback.address, and prints what the TCK prints.
 */
export async function runReplay(settings: TckSettings, options: ReplayOptions = {}): Promise<ReplayResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const callbacks = createCallbackServer(options.forward);
  const bind = settings.callbackAddress;
  await callbacks.listen(Number(bind.port || 80), bind.hostname === 'localhost' ? '127.0.0.1' : bind.hostname);
  const http = tckHttp(options.authorize ?? settings.authorization);
  const trigger: ScenarioContext['trigger'] =
    options.trigger ?? ((kind, body) => http.postJson((kind === 'negotiation' ? settings.negotiationTrigger : settings.transferTrigger).href, body));
  const result: ReplayResult = { passed: [], failed: [], read: {} };
  reading.strict = options.strict ?? false;
  reading.seen.clear();
  const selected = ALL_SCENARIOS.filter((s) => !options.only?.length || options.only.some((prefix) => s.id.startsWith(prefix)));
  const contextFor = (ids: ScenarioContext['ids']): ScenarioContext => ({
    settings,
    http,
    callbacks,
    callbackAddress: settings.callbackAddress.href.replace(/\/+$/, ''),
    dsp: settings.httpUrl.href.replace(/\/+$/, ''),
    ids,
    waitMs: settings.waitSeconds * 1000,
    trigger,
    participantId: options.participantId ?? TCK_PARTICIPANT,
    dataAddress: options.dataAddress ?? TCK_DATA_ADDRESS,
  });
  print('Running DSP TCK v2025.1 (replay)');
  try {
    await options.prepare?.(contextFor({}));
    for (const scenario of selected) {
      print(`Started: ${scenario.id}: ${scenario.title}`);
      try {
        await scenario.run(contextFor(settings.tests.get(scenario.key) ?? {}));
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
    result.read = Object.fromEntries(reading.seen);
  }
  printOutcome(print, result, '🎉😃🚀All tests passed');
  return result;
}
