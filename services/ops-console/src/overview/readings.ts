import type { BreakdownEntry, MetricReading, OpsBreakdown } from '@slidecharge/contracts';

/** Counts by key as breakdown entries, largest first (then by key). */
export function breakdownOf(counts: ReadonlyMap<string, number>): BreakdownEntry[] {
  return [...counts.entries()].map(([key, value]) => ({ key, value })).sort((a, b) => b.value - a.value || a.key.localeCompare(b.key));
}

/** Adds `amount` to the count of `key`. */
export function tally(counts: Map<string, number>, key: string, amount = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + amount);
}

/** A reading with its breakdowns. */
export function reading(value: number | null, breakdowns: Partial<Record<OpsBreakdown, BreakdownEntry[]>> = {}): MetricReading {
  return Object.keys(breakdowns).length ? { value, breakdowns } : { value };
}

/** A reading whose source could not be read: no value, and what to do about it. */
export function unavailable(what: string): MetricReading {
  return { value: null, unavailable: what };
}
