/**
 * The lab's calendar: "today" starts at midnight and "this week" on Monday 00:00 in the lab's time
 * zone (LAB_TIME_ZONE, an IANA name), whatever the server's own zone. Pure: the instant comes in.
 */

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Monday ... 6 = Sunday. */
  weekday: number;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const DAY_MS = 24 * 60 * 60 * 1000;

/** The date and time a wall clock in `timeZone` shows at `at`. */
export function wallClockIn(timeZone: string, at: Date): WallClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    weekday: 'short',
  }).formatToParts(at);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(part('year')),
    month: Number(part('month')),
    day: Number(part('day')),
    hour: Number(part('hour')),
    minute: Number(part('minute')),
    second: Number(part('second')),
    weekday: WEEKDAYS.indexOf(part('weekday')),
  };
}

/** How far the zone's wall clock is ahead of UTC at `at`, in ms. */
function offsetMs(timeZone: string, at: Date): number {
  const w = wallClockIn(timeZone, at);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant the zone's clocks show 00:00 on the given date (the first instant after, on a DST gap). */
function midnightIn(timeZone: string, year: number, month: number, day: number): Date {
  const wall = Date.UTC(year, month - 1, day);
  let guess = wall - offsetMs(timeZone, new Date(wall));
  guess = wall - offsetMs(timeZone, new Date(guess));
  return new Date(guess);
}

/** Midnight of the day `now` falls on, in the lab's time zone. */
export function startOfLabDay(timeZone: string, now: Date): Date {
  const w = wallClockIn(timeZone, now);
  return midnightIn(timeZone, w.year, w.month, w.day);
}

/** Monday 00:00 of the week `now` falls in, in the lab's time zone. */
export function startOfLabWeek(timeZone: string, now: Date): Date {
  const w = wallClockIn(timeZone, now);
  const monday = new Date(Date.UTC(w.year, w.month - 1, w.day) - w.weekday * DAY_MS);
  return midnightIn(timeZone, monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate());
}
