import type { OpsMetricUnit } from '@slidecharge/contracts/ops-console';

/** What the console shows for a number it does not have. */
export const NO_VALUE = '—';

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** A count, thousands separated: 1234 -> "1,234". */
export function formatCount(value: number): string {
  return whole.format(value);
}

/** Cents as US dollars: 123456 -> "$1,234.56". */
export function formatCents(cents: number): string {
  return dollars.format(cents / 100);
}

/** A ratio 0..1 as a percentage with one decimal: 0.125 -> "12.5%". */
export function formatRatio(ratio: number): string {
  return percent.format(ratio);
}

/**
 * A duration in seconds, in the two largest units that matter: 45 -> "45 s", 200 -> "3 min 20 s",
 * 7500 -> "2 h 5 min", 273600 -> "3 d 4 h". Fractions under a minute keep one decimal ("1.5 s").
 */
export function formatDuration(seconds: number): string {
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  if (seconds < 60) return `${Number.isInteger(seconds) || seconds >= 10 ? Math.round(seconds) : Math.round(seconds * 10) / 10} s`;
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor((seconds % 86_400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'min'],
    [Math.round(seconds % 60), 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}

/** A metric's value as the console shows it, by its unit; null is "no data". */
export function formatMetric(value: number | null, unit: OpsMetricUnit): string {
  if (value === null || !Number.isFinite(value)) return NO_VALUE;
  switch (unit) {
    case 'count':
      return formatCount(value);
    case 'usd-cents':
      return formatCents(value);
    case 'seconds':
      return formatDuration(value);
    case 'ratio':
      return formatRatio(value);
    case 'per-hour':
      return `${formatCount(value)} /h`;
  }
}
