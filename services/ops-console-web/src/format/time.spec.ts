import { formatAge, formatLabClock, formatLabDateTime, zoneName } from './time';

describe('lab time', () => {
  const winter = '2026-01-15T08:05:09Z';
  const summer = '2026-07-15T08:05:09Z';

  it('shows date and time in the lab zone with the zone, whatever the instant offset', () => {
    expect(formatLabDateTime(winter, 'America/New_York')).toBe('2026-01-15 03:05:09 EST');
    expect(formatLabDateTime(summer, 'America/New_York')).toBe('2026-07-15 04:05:09 EDT');
    expect(formatLabDateTime('2026-01-15T10:05:09+02:00', 'UTC')).toBe('2026-01-15 08:05:09 UTC');
  });

  it('crosses midnight into the lab day', () => {
    expect(formatLabDateTime('2026-01-15T23:30:00Z', 'Europe/Berlin')).toMatch(/^2026-01-16 00:30:00 /);
  });

  it('names the zone', () => {
    expect(zoneName(winter, 'America/Chicago')).toBe('CST');
    expect(zoneName(winter, 'UTC')).toBe('UTC');
  });

  it('gives hours and minutes for chart axes in the lab zone', () => {
    expect(formatLabClock(winter, 'America/Los_Angeles')).toBe('00:05');
  });

  it('says so for an instant it cannot read', () => {
    expect(formatLabDateTime('not a time', 'UTC')).toBe('unknown time');
  });

  it('tells the age of an instant', () => {
    const now = new Date('2026-01-15T09:00:00Z');
    expect(formatAge('2026-01-15T08:59:30Z', now)).toBe('30 s ago');
    expect(formatAge('2026-01-15T08:50:00Z', now)).toBe('10 min ago');
    expect(formatAge('2026-01-15T06:00:00Z', now)).toBe('3 h ago');
    expect(formatAge('2026-01-13T09:00:00Z', now)).toBe('2 d ago');
  });
});
