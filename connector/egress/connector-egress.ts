import type { ConnectorConfig } from '../config.ts';
import { createEgressGuard, type EgressFetch } from './egress-guard.ts';

const guards = new WeakMap<object, EgressFetch>();
const DEVELOPMENT = { allowHttp: true, allowLoopback: true, allowPrivate: false, allowAddresses: [] };

/**
 * The egress guard of one connector, built once from its configuration's `egress` settings (the same
 * settings object gives the same guard, hence one connection pool). Without settings (a hand-built
 * config), the development policy: http and loopback allowed, private and special addresses refused.
 */
export function egressFor(config: Partial<Pick<ConnectorConfig, 'egress'>>): EgressFetch {
  const settings = config.egress ?? DEVELOPMENT;
  let guard = guards.get(settings);
  if (!guard) {
    guard = createEgressGuard(settings);
    guards.set(settings, guard);
  }
  return guard;
}

/** Egress for code with no configuration at hand: the development policy (see egressFor). */
export const developmentEgress = (): EgressFetch => egressFor({});
