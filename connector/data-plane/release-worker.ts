import { folderSource, releaseToFolder } from '../../health/folder-source.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import type { ReleaseRules } from '../../health/release-rules.ts';
import { serveAsHelper, startReleaseHelper } from './release-helper.ts';

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
  /** Share the release with a helper process (release-helper.ts): on a machine with a second core, about twice as fast. */
  helper?: boolean;
}

export type ReleaseAnswer =
  | { ok: true; report: Awaited<ReturnType<typeof releaseToFolder>>; peakRssBytes: number; helperPeakRssBytes?: number }
  | { ok: false; inputError: boolean; message: string; file?: string; line?: number };

async function release(request: ReleaseRequest): Promise<ReleaseAnswer> {
  const options = { rules: request.rules, secret: request.secret, releaseDate: new Date(request.releaseDate) };
  const helper = request.helper ? startReleaseHelper({ folder: request.folder, options }) : undefined;
  try {
    const report = await releaseToFolder(folderSource(request.folder), request.target, options, helper && { helper });
    // ru_maxrss is in kilobytes on Linux.
    return { ok: true, report, peakRssBytes: process.resourceUsage().maxRSS * 1024, ...(helper ? { helperPeakRssBytes: helper.peakRssBytes } : {}) };
  } finally {
    helper?.close();
  }
}

if (process.argv.includes('--helper')) serveAsHelper();
else {
  const orphaned = () => process.exit(1);
  process.once('disconnect', orphaned);
  process.once('message', async (request: ReleaseRequest) => {
    let answer: ReleaseAnswer;
    try {
      answer = await release(request);
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
}
