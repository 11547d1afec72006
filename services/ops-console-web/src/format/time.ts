/**
 * Times as the lab reads them: always in the lab's time zone (from GET /api/config), with the zone
 * named, whatever the browser's own zone.
 */
function parts(at: Date, timeZone: string, options: Intl.DateTimeFormatOptions): Record<string, string> {
  const formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', ...options });
  return Object.fromEntries(formatter.formatToParts(at).map((p) => [p.type, p.value]));
}

function toDate(at: string | Date): Date | undefined {
  const date = typeof at === 'string' ? new Date(at) : at;
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The zone's short name at that instant, e.g. "CET", "EST", or "GMT+1" where Intl has no abbreviation. */
export function zoneName(at: string | Date, timeZone: string): string {
  const date = toDate(at) ?? new Date();
  return parts(date, timeZone, { timeZoneName: 'short' })['timeZoneName'] ?? timeZone;
}

/** "2026-11-30 09:12:05 CET": date and time in the lab zone, with the zone. */
export function formatLabDateTime(at: string | Date, timeZone: string): string {
  const date = toDate(at);
  if (!date) return 'unknown time';
  const p = parts(date, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' });
  return `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']}:${p['second']} ${p['timeZoneName']}`;
}

/** "09:12": hour and minute in the lab zone, for chart axes (the axis title names the zone). */
export function formatLabClock(at: string | Date, timeZone: string): string {
  const date = toDate(at);
  if (!date) return '';
  const p = parts(date, timeZone, { hour: '2-digit', minute: '2-digit' });
  return `${p['hour']}:${p['minute']}`;
}

/** "3 min ago" style age of an instant relative to now, for feeds. */
export function formatAge(at: string | Date, now: Date): string {
  const date = toDate(at);
  if (!date) return '';
  const seconds = Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}
