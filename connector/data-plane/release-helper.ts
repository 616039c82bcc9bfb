import { fork } from 'node:child_process';
import { folderSource, releasePartToFile, writeBuffer } from '../../health/folder-source.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import { indexRelease, type ReleaseOptions } from '../../health/release-index.ts';
import type { PartHelper, PartOutcome, ReleasePart } from '../../health/release-parts.ts';
import { ReleaseTally } from '../../health/report.ts';

/**
 * The helper of a release process (release-worker.ts): a second child process that releases parts of the
 * release (health/release-parts.ts) on the machine's other core. It makes the release's index itself, from the
 * same inputs, while the release process makes its own (handing over 63,000 patients' decisions would cost the
 * release process the memory the index took again), then releases the parts it is handed one after the
 * other, each into a file of its own in the staging folder, and answers each with its outcome and its peak
 * memory so far. It ends with its parent.
 */

export interface HelperRequest {
  folder: string;
  options: ReleaseOptions;
}
type ToHelper = { kind: 'index'; request: HelperRequest } | { kind: 'part'; id: number; part: ReleasePart; path: string };
type FromHelper = { id: number; peakRssBytes: number; cpuMicros: number } & ({ kind: 'done'; outcome: PartOutcome } | { kind: 'failed'; message: string });

// ru_maxrss is in kilobytes on Linux.
const peakRss = () => process.resourceUsage().maxRSS * 1024;
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Runs this process as a helper: the loop that answers its parent's parts. */
export function serveAsHelper(): void {
  process.once('disconnect', () => process.exit(0));
  const buffer = writeBuffer();
  let queue: Promise<unknown> = Promise.resolve();
  let ready: Promise<{ source: ReturnType<typeof folderSource>; index: Awaited<ReturnType<typeof indexRelease>> }> | undefined;
  process.on('message', (message: ToHelper) => {
    if (message.kind === 'index') {
      const source = folderSource(message.request.folder);
      // A failing index pass fails the release process's own the same way: here it only means no help.
      ready = indexRelease(source, message.request.options).then(
        (index) => ({ source, index }),
        (error: Error) => {
          throw new Error(`the helper's index pass failed: ${error.message}`);
        },
      );
      ready.catch(() => undefined);
      return;
    }
    queue = queue.then(async () => {
      let answer: FromHelper;
      try {
        if (!ready) throw new Error('a part came before the release request');
        const { source, index } = await ready;
        const tally = new ReleaseTally();
        const released = await releasePartToFile(source, index, message.part, message.path, tally, buffer);
        answer = { kind: 'done', id: message.id, peakRssBytes: peakRss(), cpuMicros: cpuMicros(), outcome: { ok: true, ...released, counts: tally.resourceCounts() } };
      } catch (error) {
        answer =
          error instanceof ReleaseInputError && error.line !== undefined
            ? { kind: 'done', id: message.id, peakRssBytes: peakRss(), cpuMicros: cpuMicros(), outcome: { ok: false, line: error.line, problem: error.problem } }
            : { kind: 'failed', id: message.id, peakRssBytes: peakRss(), cpuMicros: cpuMicros(), message: (error as Error).message };
      }
      process.send!(answer);
    });
  });
}

/** Starts a helper process for a release; `peakRssBytes` is the highest peak it reported, `cpuSeconds` the CPU time it had used by its last answer. */
export function startReleaseHelper(request: HelperRequest): PartHelper & { readonly peakRssBytes: number; readonly cpuSeconds: number } {
  const child = fork(new URL('./release-worker.ts', import.meta.url), ['--helper'], {
    serialization: 'advanced',
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (outcome: PartOutcome) => void; reject: (error: Error) => void }>();
  let next = 0;
  let ended = false;
  let peakRssBytes = 0;
  let cpuSeconds = 0;
  const end = () => {
    ended = true;
    for (const p of pending.values()) p.reject(new Error('the release helper ended'));
    pending.clear();
  };
  child.on('message', (answer: FromHelper) => {
    peakRssBytes = Math.max(peakRssBytes, answer.peakRssBytes);
    cpuSeconds = Math.max(cpuSeconds, answer.cpuMicros / 1e6);
    const waiting = pending.get(answer.id);
    pending.delete(answer.id);
    if (answer.kind === 'done') waiting?.resolve(answer.outcome);
    else waiting?.reject(new Error(answer.message));
  });
  child.once('exit', end);
  child.once('error', end);
  const send = (message: ToHelper) => {
    if (ended) return false;
    child.send(message, (error) => error && end());
    return true;
  };
  send({ kind: 'index', request });
  return {
    get peakRssBytes() {
      return peakRssBytes;
    },
    get cpuSeconds() {
      return cpuSeconds;
    },
    release(part, path) {
      return new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, { resolve, reject });
        if (!send({ kind: 'part', id, part, path })) end();
      });
    },
    close() {
      if (!ended) child.kill();
      end();
    },
  };
}
