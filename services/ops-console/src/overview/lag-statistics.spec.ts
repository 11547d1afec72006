import { bucketSecondsOf, lagPoints, percentile, summarizeLags } from './lag-statistics';

describe('lag statistics', () => {
  it('takes the nearest-rank percentile', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(sorted, 50)).toBe(5);
    expect(percentile(sorted, 95)).toBe(10);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  it('summarizes lags in any order', () => {
    expect(summarizeLags([30, 2, 9, 4])).toEqual({ count: 4, p50: 4, p95: 30, max: 30 });
    expect(summarizeLags([])).toEqual({ count: 0, p50: null, p95: null, max: null });
  });

  it('buckets by minute over an hour and by a quarter hour over a day', () => {
    expect(bucketSecondsOf('1h')).toBe(60);
    expect(bucketSecondsOf('24h')).toBe(900);
  });

  it('groups lags into buckets by posting time, oldest first, empty buckets left out', () => {
    const points = lagPoints(
      [
        { postedAt: new Date('2026-03-04T10:02:10Z'), lagSeconds: 4 },
        { postedAt: new Date('2026-03-04T10:00:59Z'), lagSeconds: 2 },
        { postedAt: new Date('2026-03-04T10:00:01Z'), lagSeconds: 6 },
      ],
      60,
    );
    expect(points).toEqual([
      { at: '2026-03-04T10:00:00.000Z', count: 2, p50: 2, p95: 6, max: 6 },
      { at: '2026-03-04T10:02:00.000Z', count: 1, p50: 4, p95: 4, max: 4 },
    ]);
  });
});
