import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { DataSource } from '../../catalog/dataset.ts';

export class DataSourceError extends Error {
  override name = 'DataSourceError';
}

/**
 * Where a dataset's bytes come from. A file or folder must lie inside the data root, also after following
 * symlinks; `..`, absolute paths and links that escape are refused. HTTP sources are streamed through.
 */
export function resolveDataSource(dataRoot: string, source: DataSource): { kind: 'file'; path: string } | { kind: 'http'; url: string } {
  if (source.kind === 'http') return source;
  if (isAbsolute(source.path) || source.path.split(/[\\/]/).includes('..') || source.path.includes('\0')) {
    throw new DataSourceError(`source.path "${source.path}" must be a relative path inside the data root, without ".."`);
  }
  const root = realpathSync(dataRoot);
  const candidate = resolve(root, source.path);
  if (!existsSync(candidate)) throw new DataSourceError(`source.path "${source.path}" does not exist in the data root`);
  const real = realpathSync(candidate);
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') throw new DataSourceError(`source.path "${source.path}" leads outside the data root`);
  return { kind: 'file', path: real };
}

/** Bytes in a file, or in the regular files of a folder tree (symlinks are not followed). */
export function sizeOf(path: string): number {
  const stat = statSync(path);
  if (stat.isFile()) return stat.size;
  if (!stat.isDirectory()) return 0;
  return readdirSync(path, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isFile() || entry.isDirectory() ? sizeOf(join(path, entry.name)) : 0), 0);
}
