/** An xsd:duration, kept in its calendar parts: months (years × 12 + months) and a fixed part in milliseconds. */
export interface Duration {
  months: number;
  ms: number;
}

const DAY = 86_400_000;

/** Parses an xsd:duration (`P12M`, `P1Y2M10DT2H30M`, `PT3S`, `-P1D`); undefined when it is not one. */
export function parseDuration(text: string): Duration | undefined {
  const match = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text.endsWith('P') || text.endsWith('T')) return undefined;
  const [, sign, y, mo, w, d, h, mi, s] = match;
  const months = Number(y ?? 0) * 12 + Number(mo ?? 0);
  const ms = Number(w ?? 0) * 7 * DAY + Number(d ?? 0) * DAY + Number(h ?? 0) * 3_600_000 + Number(mi ?? 0) * 60_000 + Number(s ?? 0) * 1000;
  return sign ? { months: -months, ms: -ms } : { months, ms };
}

/**
 * `start` plus a duration, the way XML Schema adds a duration to a dateTime (Appendix E): calendar months first,
 * with the day of month pinned to the last day of a shorter month (31 January + P1M = 28/29 February), then the
 * fixed part. All in UTC, so the result never depends on the host's time zone.
 */
export function addDuration(start: number, duration: Duration): number {
  const date = new Date(start);
  if (duration.months !== 0) {
    const day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + duration.months);
    const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(day, lastDay));
  }
  return date.getTime() + duration.ms;
}

/**
 * An xsd:dateTime or xsd:date as milliseconds. A value without a time zone is read as UTC (ODRL recommends a
 * zone; EDC requires UTC), never in the host's zone; a date alone is its first instant. Undefined when invalid.
 */
export function parseDateTime(text: string): number | undefined {
  const match = /^(-?\d{4,}-\d{2}-\d{2})(T\d{2}:\d{2}:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!match) return undefined;
  const [, date, time, zone] = match;
  const value = Date.parse(`${date}${time ?? 'T00:00:00'}${zone ?? 'Z'}`);
  return Number.isNaN(value) ? undefined : value;
}
