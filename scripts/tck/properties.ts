/**
 * Java `.properties` files as java.util.Properties#load reads them: `#`/`!` comments, `key=value`,
 * `key: value` or `key value`, lines continued by an odd number of trailing backslashes, and the escapes
 * `\t \n \r \f \uXXXX` (any other escaped character stands for itself, so `\"` is `"`). Values keep
 * everything else literally, quotes included.
 *
 * @example
 * parseProperties('auth="{\\"a\\": 1}"').get('auth'); // '"{"a": 1}"'
 */
export function parseProperties(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const { key, value } = splitLine(line);
    result.set(unescapeJava(key), unescapeJava(value));
  }
  return result;
}

const WHITESPACE = /[ \t\f]/;

function endsContinued(line: string): boolean {
  let slashes = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) slashes++;
  return slashes % 2 === 1;
}

function* logicalLines(text: string): Generator<string> {
  let pending: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = pending === undefined ? raw.replace(/^[ \t\f]+/, '') : raw.replace(/^[ \t\f]+/, '');
    if (pending === undefined && (line === '' || line.startsWith('#') || line.startsWith('!'))) continue;
    if (endsContinued(line)) {
      pending = (pending ?? '') + line.slice(0, -1);
      continue;
    }
    yield (pending ?? '') + line;
    pending = undefined;
  }
  if (pending !== undefined) yield pending;
}

function splitLine(line: string): { key: string; value: string } {
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '\\') i += 2;
    else if (c === '=' || c === ':' || WHITESPACE.test(c)) break;
    else i++;
  }
  const key = line.slice(0, Math.min(i, line.length));
  let j = i;
  while (j < line.length && WHITESPACE.test(line[j]!)) j++;
  if (j < line.length && (line[j] === '=' || line[j] === ':')) j++;
  while (j < line.length && WHITESPACE.test(line[j]!)) j++;
  return { key, value: line.slice(j) };
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescapeJava(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|[\s\S]?)/g, (_, escaped: string) => {
    if (escaped.length === 5 && escaped[0] === 'u') return String.fromCharCode(Number.parseInt(escaped.slice(1), 16));
    return ESCAPES[escaped] ?? escaped;
  });
}
