import { folderSource, releaseToFolder } from '../../health/folder-source.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import type { ReleaseRules } from '../../health/release-rules.ts';

/**
 * The child process a release runs in (see release-process.ts): one request over IPC, one answer, exit. It
 * reads the dataset folder, writes the released files into the staging folder and answers the report, or the
 * failure with whether the input was at fault. It lives only as long as its parent: a connector that goes away
 * takes its releases with it.
 */
export interface ReleaseRequest {
  folder: string;
  target: string;
  rules: ReleaseRules;
  secret: Uint8Array;
  releaseDate: string;
}

export type ReleaseAnswer =
  | { ok: true; report: Awaited<ReturnType<typeof releaseToFolder>>; peakRssBytes: number }
  | { ok: false; inputError: boolean; message: string; file?: string; line?: number };

const orphaned = () => process.exit(1);
process.once('disconnect', orphaned);
process.once('message', async (request: ReleaseRequest) => {
  let answer: ReleaseAnswer;
  try {
    const report = await releaseToFolder(folderSource(request.folder), request.target, {
      rules: request.rules,
      secret: request.secret,
      releaseDate: new Date(request.releaseDate),
    });
    // ru_maxrss is in kilobytes on Linux.
    answer = { ok: true, report, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  } catch (error) {
    answer =
      error instanceof ReleaseInputError
        ? { ok: false, inputError: true, message: error.message, file: error.file, ...(error.line !== undefined ? { line: error.line } : {}) }
        : { ok: false, inputError: false, message: (error as Error).message };
  }
  process.send!(answer, () => {
    process.off('disconnect', orphaned);
    process.disconnect();
  });
});
