import { OPS_METRICS, type BreakdownEntry, type MetricReading, type OpsBreakdown, type OpsMetricId } from '@slidecharge/contracts/ops-console';

/** Largest first; equal values by key, so the order is stable between updates. */
export function sortBreakdown(entries: readonly BreakdownEntry[]): BreakdownEntry[] {
  return [...entries].sort((a, b) => b.value - a.value || a.key.localeCompare(b.key, 'en', { numeric: true }));
}

/** The breakdown of a reading, sorted; empty when the reading has none. */
export function breakdownOf(reading: MetricReading | undefined, by: OpsBreakdown): BreakdownEntry[] {
  return sortBreakdown(reading?.breakdowns?.[by] ?? []);
}

/** Each entry's share of the total (0..1), for "share" columns; 0 when the total is 0. */
export function withShares(entries: readonly BreakdownEntry[]): Array<BreakdownEntry & { share: number }> {
  const total = entries.reduce((sum, e) => sum + e.value, 0);
  return entries.map((e) => ({ ...e, share: total > 0 ? e.value / total : 0 }));
}

/** The metrics shown on the lab floor's wall screen, in table order. */
export function wallMetricIds(): OpsMetricId[] {
  return (Object.keys(OPS_METRICS) as OpsMetricId[]).filter((id) => OPS_METRICS[id].wall);
}

/** The breakdown names a metric carries by definition. */
export function breakdownsOf(id: OpsMetricId): readonly OpsBreakdown[] {
  return OPS_METRICS[id].breakdowns;
}
