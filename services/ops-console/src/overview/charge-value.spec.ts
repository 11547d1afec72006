import { FeeSchedule } from '@slidecharge/billing-rules';
import { chargeCount, chargeValue } from './charge-value';

const schedule: FeeSchedule = { currency: 'USD', codes: { '0753T': { default: 2400, payers: { MEDICARE: 2210 } }, '0751T': { default: 1000 } } };
const lines = [
  { code: '0753T', payerId: 'AETNA', units: 2 },
  { code: '0753T', payerId: 'MEDICARE', units: 1 },
  { code: '0751T', payerId: 'AETNA', units: 1 },
  { code: '0999T', payerId: 'AETNA', units: 1 },
];

describe('charge counts and values', () => {
  it('counts charges by code and payer', () => {
    expect(chargeCount(lines)).toEqual({
      value: 4,
      breakdowns: {
        code: [
          { key: '0753T', value: 2 },
          { key: '0751T', value: 1 },
          { key: '0999T', value: 1 },
        ],
        payer: [
          { key: 'AETNA', value: 3 },
          { key: 'MEDICARE', value: 1 },
        ],
      },
    });
  });

  it("estimates units x the payer's amount, else the default; unpriced codes add nothing", () => {
    const value = chargeValue(lines, schedule);
    expect(value.value).toBe(2 * 2400 + 2210 + 1000);
    expect(value.breakdowns?.code).toEqual([
      { key: '0753T', value: 7010 },
      { key: '0751T', value: 1000 },
    ]);
    expect(value.breakdowns?.payer).toEqual([
      { key: 'AETNA', value: 5800 },
      { key: 'MEDICARE', value: 2210 },
    ]);
  });

  it('has no value without a fee schedule', () => {
    expect(chargeValue(lines, null)).toEqual({ value: null });
  });

  it('keeps only the breakdowns asked for', () => {
    expect(Object.keys(chargeValue(lines, schedule, ['code']).breakdowns ?? {})).toEqual(['code']);
  });
});
