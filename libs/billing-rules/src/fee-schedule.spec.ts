import { estimateCents, parseFeeSchedule, unitPriceCents } from './fee-schedule';

const schedule = { currency: 'USD', codes: { '0753T': { default: 2400, payers: { AETNA: 2150 } }, '0754T': { payers: { AETNA: 900 } } } };

describe('fee schedule', () => {
  it('prices a code for a payer with its own amount, else the default, else unknown', () => {
    const parsed = parseFeeSchedule(schedule);
    if (!parsed.ok) throw new Error(parsed.problems.join('; '));
    expect(unitPriceCents(parsed.schedule, '0753T', 'AETNA')).toBe(2150);
    expect(unitPriceCents(parsed.schedule, '0753T', 'MEDICARE')).toBe(2400);
    expect(unitPriceCents(parsed.schedule, '0754T', 'MEDICARE')).toBeNull();
    expect(unitPriceCents(parsed.schedule, '0755T', 'AETNA')).toBeNull();
    expect(estimateCents(parsed.schedule, '0753T', 'MEDICARE', 3)).toBe(7200);
    expect(estimateCents(parsed.schedule, '0755T', 'MEDICARE', 3)).toBeNull();
  });

  it('names every field that is wrong', () => {
    expect(parseFeeSchedule({ currency: 'dollars', codes: { '0753T': { default: 24.5, payers: { AETNA: -1 } }, '0754T': 3 } })).toEqual({
      ok: false,
      problems: [
        'currency must be an ISO 4217 code such as USD',
        'codes.0753T.default must be whole cents (an integer >= 0)',
        'codes.0753T.payers.AETNA must be whole cents',
        'codes.0754T must be an object',
      ],
    });
    expect(parseFeeSchedule([])).toEqual({ ok: false, problems: ['the fee schedule must be a JSON object'] });
  });
});
