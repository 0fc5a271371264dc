/**
 * Date-times as engines write them, turned into ISO-8601 instants (`...Z`).
 *
 * FEEL (feelin) writes zoned date-times as `2026-11-25T01:40:26.752@Europe/Berlin`, Zeebe as
 * `2026-11-25T00:40:26.752Z[Etc/UTC]`; `Date.parse` reads neither. A local date-time with a zone id
 * is converted through the zone's offset at that moment.
 */
const ZONED =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?(?:@([^[\]\s]+)|\[([^\]\s]+)\])$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds that `zone` is ahead of UTC at the instant `utcMillis`. */
function zoneOffset(zone: string, utcMillis: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(utcMillis)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(
    +parts.year,
    +parts.month - 1,
    +parts.day,
    +parts.hour,
    +parts.minute,
    +parts.second,
  );
  return asUtc - Math.floor(utcMillis / 1000) * 1000;
}

/** The instant a date-time string denotes, as `YYYY-MM-DDTHH:mm:ss.sssZ`; null when it is not a date-time. */
export function toIsoInstant(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  const zoned = ZONED.exec(value);
  if (zoned) {
    const [, local, offset, atZone, bracketZone] = zoned;
    if (offset) return toIsoInstant(`${local}${offset}`);
    const zone = atZone ?? bracketZone;
    const naive = Date.parse(`${local}Z`);
    if (Number.isNaN(naive)) return null;
    try {
      // The offset at the naive instant, corrected once for a change of offset in between (DST).
      let instant = naive - zoneOffset(zone, naive);
      instant = naive - zoneOffset(zone, instant);
      return new Date(instant).toISOString();
    } catch {
      return null; // an unknown zone id
    }
  }
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}
