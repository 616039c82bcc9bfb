import { parseArgs } from 'node:util';
import { startDcpTckFixture } from './fixture.ts';
import { GROUPS, runDcpReplay } from './runner.ts';
import type { Group } from './scenario.ts';
import { loadDcpTckSettings } from './settings.ts';

/**
 * `npm run dcp-tck:replay -- --properties FILE [--fixture [--database URL]] [--group presentation.cs,…] [--only NAME]`: plays the
 * DCP TCK's side of its 85 active scenarios against the systems the properties name; with --fixture it first
 * starts the DCP TCK fixture from the same properties. Exit code 1 when a scenario failed.
 */
const { values } = parseArgs({
  options: { properties: { type: 'string' }, fixture: { type: 'boolean' }, database: { type: 'string' }, group: { type: 'string' }, only: { type: 'string' } },
});
if (!values.properties) {
  console.error(`usage: npm run dcp-tck:replay -- --properties FILE [--fixture [--database postgres://…]] [--group ${GROUPS.join(',')}] [--only NAME,…]`);
  process.exit(2);
}
const settings = loadDcpTckSettings(values.properties);
const groups = values.group?.split(',') as Group[] | undefined;
const unknown = groups?.filter((g) => !GROUPS.includes(g));
if (unknown?.length) {
  console.error(`unknown group ${unknown.join(', ')}; the groups are ${GROUPS.join(', ')}`);
  process.exit(2);
}
const fixture = values.fixture ? await startDcpTckFixture(settings, values.database ? { database: values.database } : {}) : undefined;
try {
  const result = await runDcpReplay(settings, { ...(groups ? { groups } : {}), ...(values.only ? { only: values.only.split(',') } : {}) });
  process.exitCode = result.failed.length > 0 ? 1 : 0;
} finally {
  await fixture?.close();
}
