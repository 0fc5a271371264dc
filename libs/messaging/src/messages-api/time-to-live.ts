import { parse } from 'tinyduration';

const MS = { weeks: 604_800_000, days: 86_400_000, hours: 3_600_000, minutes: 60_000, seconds: 1_000 };

/**
 * A message's time to live, an ISO-8601 duration (`PT30S`, `PT1H`, `P2D`), in milliseconds; null when the
 * text is not such a duration, is negative, or has years or months (which have no fixed length; Camunda 8
 * takes neither).
 */
export function timeToLiveMs(text: string): number | null {
  let duration: ReturnType<typeof parse>;
  try {
    duration = parse(text);
  } catch {
    return null;
  }
  if (duration.negative || duration.years || duration.months) return null;
  const ms =
    (duration.weeks ?? 0) * MS.weeks +
    (duration.days ?? 0) * MS.days +
    (duration.hours ?? 0) * MS.hours +
    (duration.minutes ?? 0) * MS.minutes +
    (duration.seconds ?? 0) * MS.seconds;
  return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : null;
}
