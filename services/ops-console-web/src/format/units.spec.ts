import { formatCents, formatCount, formatDuration, formatMetric, formatRatio, NO_VALUE } from './units';

describe('units', () => {
  it('separates thousands of counts and rounds to whole numbers', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
  });

  it('shows cents as US dollars with two decimals', () => {
    expect(formatCents(123456)).toBe('$1,234.56');
    expect(formatCents(5)).toBe('$0.05');
  });

  it('shows ratios as percentages with one decimal', () => {
    expect(formatRatio(0.125)).toBe('12.5%');
    expect(formatRatio(0)).toBe('0.0%');
  });

  it('shows durations in the two largest units that matter', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(1.54)).toBe('1.5 s');
    expect(formatDuration(200)).toBe('3 min 20 s');
    expect(formatDuration(7500)).toBe('2 h 5 min');
    expect(formatDuration(7200)).toBe('2 h');
    expect(formatDuration(273_600)).toBe('3 d 4 h');
    expect(formatDuration(-90)).toBe('-1 min 30 s');
  });

  it('formats a metric by its unit, and null as no data', () => {
    expect(formatMetric(12, 'per-hour')).toBe('12 /h');
    expect(formatMetric(0.5, 'ratio')).toBe('50.0%');
    expect(formatMetric(99, 'seconds')).toBe('1 min 39 s');
    expect(formatMetric(100, 'usd-cents')).toBe('$1.00');
    expect(formatMetric(null, 'count')).toBe(NO_VALUE);
    expect(formatMetric(Number.NaN, 'count')).toBe(NO_VALUE);
  });
});
