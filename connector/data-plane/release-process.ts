import { fork } from 'node:child_process';
import { ReleaseInputError } from '../../health/ndjson.ts';
import type { ReleaseReport } from '../../health/report.ts';
import type { ReleaseAnswer, ReleaseRequest } from './release-worker.ts';

const WORKER = new URL('./release-worker.ts', import.meta.url);
/** A release keeps little alive (per-patient decisions, small memos): a small heap that is collected early. */
const WORKER_FLAGS = ['--max-semi-space-size=4', '--max-old-space-size=256'];

/**
 * Runs one release (health/folder-source.ts releaseToFolder) in a child process of its own. Releasing is CPU
 * work on every line of the cohort: in a child it runs beside the connector's event loop (which keeps
 * answering DSP and management requests, on another core) and its memory is returned to the system when it
 * ends. The agreement's secret travels over the IPC channel, never on a command line or in the environment.
 * With `helper`, the child shares the release with a helper process of its own (release-helper.ts). A failing
 * input is a ReleaseInputError as in-process; anything else (the child crashed) an Error.
 */
export function releaseInChildProcess(request: ReleaseRequest): Promise<{ report: ReleaseReport; peakRssBytes: number; helperPeakRssBytes?: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { serialization: 'advanced', execArgv: WORKER_FLAGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let answered = false;
    child.once('message', (answer: ReleaseAnswer) => {
      answered = true;
      if (answer.ok) resolve(answer);
      else if (answer.inputError) reject(Object.assign(new ReleaseInputError(answer.file ?? '', answer.line, ''), { message: answer.message }));
      else reject(new Error(answer.message));
    });
    child.once('error', (error) => {
      if (!answered) reject(error);
    });
    child.once('exit', (code, signal) => {
      if (!answered) reject(new Error(`the release process ended without an answer (${signal ?? `exit code ${code}`})`));
    });
    child.send(request);
  });
}
