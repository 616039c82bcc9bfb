/**
 * The EHDS opt-out register (Regulation (EU) 2025/327): people who opted out of the secondary use of their
 * electronic health data. Its file form here: UTF-8 text, one Patient id a line; blank lines and lines
 * starting with `#` are ignored. Ids are the hospital's Patient ids, matched before any pseudonym is made.
 */

export const OPT_OUT_REGISTER_FILE = 'opt-out-register.txt';

export class OptOutRegisterError extends Error {
  override name = 'OptOutRegisterError';
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Adds the id on one register line to `into`; throws naming the line (not its content) when it is no FHIR id. */
export function readOptOutLine(line: string, lineNumber: number, into: Set<string>): void {
  const value = line.trim();
  if (value === '' || value.startsWith('#')) return;
  if (!FHIR_ID.test(value)) throw new OptOutRegisterError(`${OPT_OUT_REGISTER_FILE} line ${lineNumber}: not a Patient id`);
  into.add(value);
}
