// Figures of a run: percentiles, latency summary, throughput, ratios. Pure.

/** The p-th percentile of an ascending array (nearest rank). */
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

/** p50/p90/p99/max in whole milliseconds of unsorted latencies (ms). */
export function latencySummary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (p) => Math.round(percentile(sorted, p));
  return { p50: at(50), p90: at(90), p99: at(99), max: Math.round(sorted[sorted.length - 1]) };
}

/** Events per second, one decimal. */
export const perSecond = (count, seconds) => +(count / seconds).toFixed(1);

/** slidecharge's figure as a fraction of the baseline's (3 significant digits). */
export const ratio = (slidecharge, baseline) => +(slidecharge / baseline).toPrecision(3);
