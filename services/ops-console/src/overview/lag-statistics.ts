/**
 * Charge lag statistics: percentiles of lags (seconds) and the lag chart's buckets. Pure.
 * A percentile is the nearest rank (a lag that was observed), as a lab reads "95 % of charges within".
 */

export interface LagSummary {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** The nearest-rank percentile (0 < p <= 100) of values sorted ascending; null for none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? null;
}

const ascending = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** Count, median, 95th percentile and longest of a set of lags. */
export function summarizeLags(lags: readonly number[]): LagSummary {
  const sorted = ascending(lags);
  return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.length ? (sorted[sorted.length - 1] ?? null) : null };
}

/** One charge's lag and when it was posted. */
export interface PostedLag {
  postedAt: Date;
  lagSeconds: number;
}

export interface LagPoint {
  at: string;
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** Bucket width of the lag chart: 1 minute over an hour, 15 minutes over a day. */
export function bucketSecondsOf(window: '1h' | '24h'): number {
  return window === '1h' ? 60 : 15 * 60;
}

/** How long a window is, in ms. */
export function windowMs(window: '1h' | '24h'): number {
  return window === '1h' ? 60 * 60 * 1000 : 24 * 60 * 60 * 1000;
}

/** Lags grouped into buckets of `bucketSeconds` by when the charge was posted; buckets with a charge only, oldest first. */
export function lagPoints(lags: readonly PostedLag[], bucketSeconds: number): LagPoint[] {
  const bucketMs = bucketSeconds * 1000;
  const buckets = new Map<number, number[]>();
  for (const { postedAt, lagSeconds } of lags) {
    const start = Math.floor(postedAt.getTime() / bucketMs) * bucketMs;
    const list = buckets.get(start) ?? [];
    list.push(lagSeconds);
    buckets.set(start, list);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, values]) => {
      const s = summarizeLags(values);
      return { at: new Date(start).toISOString(), count: s.count, p50: s.p50 ?? 0, p95: s.p95 ?? 0, max: s.max ?? 0 };
    });
}
