/**
 * FHIR R4 date, dateTime and instant values as time ranges, and the date a clinical resource counts as
 * collected on. A value covers its whole precision: "2020" is all of 2020, "2020-05-03" the whole UTC day, a
 * dateTime with seconds that second (ms precision beyond it). Timezone offsets are honoured.
 */

/** A half-open range of epoch milliseconds [start, end). */
export interface Interval {
  start: number;
  end: number;
}

const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** The range a FHIR date/dateTime/instant covers, or undefined when it is none of them. */
export function fhirDateRange(value: unknown): Interval | undefined {
  const start = fhirDateStart(value);
  if (start === undefined) return undefined;
  const text = value as string;
  if (text.length > 10) {
    // hh:mm:ss has its second colon at index 16; fractional seconds follow at 19.
    const hasSeconds = text.charCodeAt(16) === 58;
    return { start, end: start + (hasSeconds ? (text.charCodeAt(19) === 46 ? 1 : 1000) : 60_000) };
  }
  const [year, month, day] = [Number(text.slice(0, 4)), text.length > 4 ? Number(text.slice(5, 7)) - 1 : undefined, text.length > 7 ? Number(text.slice(8, 10)) : undefined];
  if (month === undefined) return { start, end: Date.UTC(year + 1, 0, 1) };
  if (day === undefined) return { start, end: Date.UTC(year, month + 1, 1) };
  return { start, end: Date.UTC(year, month, day + 1) };
}

/**
 * Where a FHIR date/dateTime/instant begins, or undefined when it is none of them: fhirDateRange's start, with
 * no object made (this dates every resource of a release).
 */
export function fhirDateStart(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  // A date is 4, 7 or 10 characters long; anything longer can only be a dateTime.
  if (value.length <= 10) {
    const date = DATE.exec(value);
    if (!date) return undefined;
    return Date.UTC(Number(date[1]), date[2] ? Number(date[2]) - 1 : 0, date[3] ? Number(date[3]) : 1);
  }
  if (!DATE_TIME.test(value)) return undefined;
  const start = dateTimeStart(value) ?? Date.parse(value);
  return Number.isNaN(start) ? undefined : start;
}

const digit = (value: string, at: number) => value.charCodeAt(at) - 48;
const twoDigits = (value: string, at: number) => digit(value, at) * 10 + digit(value, at + 1);

/**
 * Date.parse of a value DATE_TIME matched, computed from its digits when every field is in its ordinary range
 * (what Date.parse reads the same way: a day beyond its month's carries over, fractions beyond milliseconds are
 * cut); undefined for anything else (hour 24, a month 13…), which Date.parse decides.
 */
function dateTimeStart(value: string): number | undefined {
  const month = twoDigits(value, 5);
  const day = twoDigits(value, 8);
  const hour = twoDigits(value, 11);
  const minute = twoDigits(value, 14);
  let at = 16;
  let second = 0;
  let ms = 0;
  if (value.charCodeAt(at) === 58) {
    second = twoDigits(value, 17);
    at = 19;
    if (value.charCodeAt(at) === 46) {
      for (let i = 1, scale = 100; value.charCodeAt(at + i) >= 48 && value.charCodeAt(at + i) <= 57; i++, scale /= 10) if (i <= 3) ms += digit(value, at + i) * scale;
      at = value.length - (value.charCodeAt(value.length - 1) === 90 ? 1 : 6);
    }
  }
  let offset = 0;
  if (value.charCodeAt(at) !== 90) {
    const hours = twoDigits(value, at + 1);
    const minutes = twoDigits(value, at + 4);
    if (hours > 23 || minutes > 59) return undefined;
    offset = (value.charCodeAt(at) === 45 ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  return (
    (epochDay(digit(value, 0) * 1000 + twoDigits(value, 1) * 10 + digit(value, 3), month, 1) + day - 1) * 86_400_000 +
    hour * 3_600_000 +
    minute * 60_000 +
    second * 1000 +
    ms -
    offset
  );
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1–12; a day beyond the month carries over). */
export function epochDay(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
}

/** A FHIR Period as a range: a missing start is the beginning of time, a missing end open-ended. */
export function periodRange(period: unknown): Interval {
  const p = (period ?? {}) as { start?: unknown; end?: unknown };
  return { start: fhirDateRange(p.start)?.start ?? -Infinity, end: fhirDateRange(p.end)?.end ?? Infinity };
}

export function contains(interval: Interval, point: number): boolean {
  return interval.start <= point && point < interval.end;
}

export function overlaps(a: Interval, b: Interval): boolean {
  return a.start < b.end && b.start < a.end;
}

type Json = Record<string, unknown>;

/** The first of these fields that holds a date (a Period's start counts), in order. */
function firstDate(resource: Json, fields: readonly string[]): number | undefined {
  for (let i = 0; i < fields.length; i++) {
    const value = resource[fields[i]!];
    const start = typeof value === 'string' ? fhirDateStart(value) : value && typeof value === 'object' ? fhirDateStart((value as Json).start) : undefined;
    if (start !== undefined) return start;
  }
  return undefined;
}

/**
 * Which field dates a resource for the consent window, by type: when the data was collected. Types not listed
 * (Patient, Medication, Organization…) are not dated and follow the patient's decision alone.
 */
export const DATE_FIELDS: Record<string, string[]> = {
  Observation: ['effectiveDateTime', 'effectivePeriod', 'effectiveInstant', 'issued'],
  Condition: ['recordedDate', 'onsetDateTime', 'onsetPeriod'],
  Encounter: ['period'],
  Procedure: ['performedDateTime', 'performedPeriod'],
  DiagnosticReport: ['effectiveDateTime', 'effectivePeriod', 'issued'],
  MedicationAdministration: ['effectiveDateTime', 'effectivePeriod'],
  MedicationStatement: ['effectiveDateTime', 'effectivePeriod', 'dateAsserted'],
  MedicationRequest: ['authoredOn'],
  Immunization: ['occurrenceDateTime', 'recorded'],
  Specimen: ['receivedTime'],
  AllergyIntolerance: ['recordedDate', 'onsetDateTime'],
  ServiceRequest: ['authoredOn'],
  CarePlan: ['created', 'period'],
};

/** The instant a resource counts as collected at; 'undated' when its type is dated but the resource has no date; undefined when the type is not dated. */
export function resourceDate(resource: Json): number | 'undated' | undefined {
  const fields = DATE_FIELDS[resource.resourceType as string];
  if (!fields) return undefined;
  return firstDate(resource, fields) ?? 'undated';
}
