/** xsd:duration to milliseconds (months as 1/12 year of 365.25 days); undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, sign, y, mo, w, d, h, mi, s] = match;
  const day = 86_400_000;
  const ms = Number(y ?? 0) * 365.25 * day + Number(mo ?? 0) * (365.25 / 12) * day + Number(w ?? 0) * 7 * day + Number(d ?? 0) * day + Number(h ?? 0) * 3_600_000 + Number(mi ?? 0) * 60_000 + Number(s ?? 0) * 1000;
  return sign ? -ms : ms;
}
