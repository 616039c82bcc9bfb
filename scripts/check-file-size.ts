/**
 * The house rule "no file over ~400 lines", checked: lists every .ts file of the project longer than
 * MAX_LINES and exits 1 when there is one. Run by `npm run lint`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const MAX_LINES = 400;
/** Folders never checked: installed packages, version control, runtime data, reports. */
const SKIPPED = new Set(['node_modules', '.git', '.data', 'coverage', 'tmp']);

/** Lines as an editor numbers them: a final newline does not start another line. */
export function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

export interface OversizedFile {
  path: string;
  lines: number;
}

/** The files longer than `max` lines, longest first. */
export function oversized(files: Iterable<{ path: string; text: string }>, max = MAX_LINES): OversizedFile[] {
  const found: OversizedFile[] = [];
  for (const { path, text } of files) {
    const lines = lineCount(text);
    if (lines > max) found.push({ path, lines });
  }
  return found.sort((a, b) => b.lines - a.lines || a.path.localeCompare(b.path));
}

function* typeScriptFiles(root: string, folder = root): Generator<{ path: string; text: string }> {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* typeScriptFiles(root, path);
    else if (entry.isFile() && entry.name.endsWith('.ts')) yield { path: relative(root, path), text: readFileSync(path, 'utf8') };
  }
}

function main(root: string): number {
  const found = oversized(typeScriptFiles(root));
  if (found.length === 0) return 0;
  console.error(`${found.length} file(s) over ${MAX_LINES} lines; split each by concept:`);
  for (const file of found) console.error(`  ${file.path}: ${file.lines} lines`);
  return 1;
}

if (import.meta.main) process.exitCode = main(new URL('..', import.meta.url).pathname);
