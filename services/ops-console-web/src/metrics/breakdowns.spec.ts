import { OPS_METRICS } from '@slidecharge/contracts/ops-console';
import { breakdownOf, sortBreakdown, wallMetricIds, withShares } from './breakdowns';

describe('breakdowns', () => {
  it('sorts largest first, equal values by key in natural order', () => {
    const sorted = sortBreakdown([
      { key: 'scanner-10', value: 3 },
      { key: 'scanner-2', value: 3 },
      { key: 'scanner-1', value: 9 },
      { key: 'a', value: 0 },
    ]);
    expect(sorted.map((e) => e.key)).toEqual(['scanner-1', 'scanner-2', 'scanner-10', 'a']);
  });

  it('does not change the reading it sorts', () => {
    const entries = [{ key: 'b', value: 1 }, { key: 'a', value: 2 }];
    sortBreakdown(entries);
    expect(entries[0]?.key).toBe('b');
  });

  it('reads a breakdown of a reading, empty when absent', () => {
    expect(breakdownOf({ value: 3, breakdowns: { code: [{ key: '0751T', value: 1 }, { key: '0753T', value: 2 }] } }, 'code')[0]?.key).toBe('0753T');
    expect(breakdownOf({ value: 3 }, 'payer')).toEqual([]);
    expect(breakdownOf(undefined, 'payer')).toEqual([]);
  });

  it('gives shares of the total, 0 when the total is 0', () => {
    expect(withShares([{ key: 'a', value: 1 }, { key: 'b', value: 3 }]).map((e) => e.share)).toEqual([0.25, 0.75]);
    expect(withShares([{ key: 'a', value: 0 }])[0]?.share).toBe(0);
  });

  it('puts on the wall only metrics marked for it', () => {
    const ids = wallMetricIds();
    expect(ids).toContain('charges.today');
    expect(ids).not.toContain('lag.scan-to-charge.p50.24h');
    expect(ids.every((id) => OPS_METRICS[id].wall)).toBe(true);
  });
});
