import { startOfLabDay, startOfLabWeek, wallClockIn } from './lab-calendar';

describe('the lab calendar', () => {
  it('starts the day at midnight UTC for a lab on UTC', () => {
    expect(startOfLabDay('UTC', new Date('2026-03-04T15:20:00Z')).toISOString()).toBe('2026-03-04T00:00:00.000Z');
  });

  it("starts the day at the lab's midnight, not the server's (Chicago, standard time: UTC-6)", () => {
    expect(startOfLabDay('America/Chicago', new Date('2026-01-15T03:00:00Z')).toISOString()).toBe('2026-01-14T06:00:00.000Z');
    expect(startOfLabDay('America/Chicago', new Date('2026-01-15T07:00:00Z')).toISOString()).toBe('2026-01-15T06:00:00.000Z');
  });

  it('follows daylight saving time (Chicago, summer: UTC-5)', () => {
    expect(startOfLabDay('America/Chicago', new Date('2026-07-01T12:00:00Z')).toISOString()).toBe('2026-07-01T05:00:00.000Z');
  });

  it('starts the day on the day of a DST change at that day’s own midnight', () => {
    // 2026-03-08: US clocks go forward at 02:00; midnight is still CST (UTC-6).
    expect(startOfLabDay('America/Chicago', new Date('2026-03-08T20:00:00Z')).toISOString()).toBe('2026-03-08T06:00:00.000Z');
  });

  it('starts the week on Monday 00:00 in the lab time zone', () => {
    // Wednesday 2026-03-04 -> Monday 2026-03-02.
    expect(startOfLabWeek('UTC', new Date('2026-03-04T15:20:00Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    // Sunday 2026-03-08 is the last day of the week that began Monday 2026-03-02.
    expect(startOfLabWeek('UTC', new Date('2026-03-08T23:59:00Z')).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    // A Monday is its own week's start.
    expect(startOfLabWeek('Europe/Berlin', new Date('2026-03-02T00:30:00+01:00')).toISOString()).toBe('2026-03-01T23:00:00.000Z');
  });

  it('reads the wall clock of a zone, weekday included', () => {
    expect(wallClockIn('Asia/Tokyo', new Date('2026-03-01T20:00:00Z'))).toEqual({ year: 2026, month: 3, day: 2, hour: 5, minute: 0, second: 0, weekday: 0 });
  });
});
