import type { Readable } from 'node:stream';

/**
 * NDJSON reading for the release: FHIR bulk-data files (`<ResourceType>.ndjson`, also `<ResourceType>.<n>.ndjson`),
 * split into lines without ever holding a whole file. Errors name the file and line number, never the content:
 * a line may hold patient data.
 */

export class ReleaseInputError extends Error {
  override name = 'ReleaseInputError';
  readonly file: string;
  readonly line: number | undefined;
  /** What is wrong, without the file and line. */
  readonly problem: string;
  constructor(file: string, line: number | undefined, problem: string) {
    super(line === undefined ? `${file}: ${problem}` : `${file} line ${line}: ${problem}`);
    this.file = file;
    this.line = line;
    this.problem = problem;
  }
}

const NDJSON_NAME = /^([A-Z][A-Za-z]{1,63})(?:[._-]\d{1,6})?\.ndjson$/;

/** The resource type a file holds by its name, or undefined for a file that is no FHIR NDJSON file. */
export function resourceTypeOfFile(name: string): string | undefined {
  return NDJSON_NAME.exec(name)?.[1];
}

/** Longest line accepted: a resource this large is not one a cohort release should carry. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export type Json = Record<string, any>;

/** One line parsed as a resource of the file's type, with a string id; throws ReleaseInputError otherwise. */
export function parseResourceLine(text: string, file: string, line: number, expectedType: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ReleaseInputError(file, line, 'not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ReleaseInputError(file, line, 'not a JSON object');
  const resource = value as Json;
  if (resource.resourceType !== expectedType) throw new ReleaseInputError(file, line, `expected a ${expectedType} resource`);
  if (typeof resource.id !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(resource.id)) throw new ReleaseInputError(file, line, 'the resource has no valid id');
  return resource;
}

/**
 * Splits bytes into lines as they arrive. A line is handed on as a string with any trailing CR removed; blank
 * lines are skipped (but counted, so line numbers match an editor's). A UTF-8 BOM at the start is ignored.
 */
export class LineSplitter {
  private rest: Buffer | undefined;
  private lineNumber: number;
  private first: boolean;
  private readonly file: string;
  /**
   * `from` splits a part of a file that begins at a line's start: `lines`, the lines before it (so numbers
   * stay the file's), and whether it is the file's start (only there may a BOM stand).
   */
  constructor(file: string, from: { lines: number; atFileStart: boolean } = { lines: 0, atFileStart: true }) {
    this.file = file;
    this.lineNumber = from.lines;
    this.first = from.atFileStart;
  }

  /** Lines split so far, blank ones included, and those before the part split. */
  get lines(): number {
    return this.lineNumber;
  }

  push(chunk: Buffer, onLine: (text: string, line: number) => void): void {
    // The line cut by the previous chunk is completed on its own, not by copying the whole chunk behind it:
    // a copy of every chunk is garbage that piles up outside the JavaScript heap until a full collection.
    if (this.rest && !this.first) {
      const nl = chunk.indexOf(10);
      if (nl !== -1) {
        const line = Buffer.concat([this.rest, chunk.subarray(0, nl)]);
        this.rest = undefined;
        this.emit(line, 0, line.length, onLine);
        this.push(chunk.subarray(nl + 1), onLine);
        return;
      }
    }
    let data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    if (this.first && data.length >= 3) {
      if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) data = data.subarray(3);
      this.first = false;
    }
    let start = 0;
    for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
      this.emit(data, start, nl, onLine);
      start = nl + 1;
    }
    if (start < data.length) {
      if (data.length - start > MAX_LINE_BYTES) throw new ReleaseInputError(this.file, this.lineNumber + 1, `longer than ${MAX_LINE_BYTES} bytes`);
      this.rest = Buffer.from(data.subarray(start));
    }
  }

  end(onLine: (text: string, line: number) => void): void {
    if (this.rest) this.emit(this.rest, 0, this.rest.length, onLine);
    this.rest = undefined;
  }

  private emit(data: Buffer, start: number, end: number, onLine: (text: string, line: number) => void) {
    this.lineNumber++;
    const stop = end > start && data[end - 1] === 13 ? end - 1 : end;
    if (stop > start) onLine(data.toString('utf8', start, stop), this.lineNumber);
  }
}

/** Calls `onLine` for each non-blank line of a stream (or chunks, each used before the next is read), in order. */
export async function forEachLine(stream: Readable | AsyncIterable<Buffer>, file: string, onLine: (text: string, line: number) => void): Promise<void> {
  const splitter = new LineSplitter(file);
  for await (const chunk of stream) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer), onLine);
  splitter.end(onLine);
}
