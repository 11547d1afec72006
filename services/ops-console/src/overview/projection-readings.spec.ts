import { projectionReadings, ProjectionFacts, qcFailureRate } from './projection-readings';

const now = new Date('2026-03-04T12:00:00Z');
const windows = { now, dayStart: new Date('2026-03-04T00:00:00Z'), weekStart: new Date('2026-03-02T00:00:00Z') };
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

const facts: ProjectionFacts = {
  chargesThisWeek: [
    { code: '0753T', payerId: 'AETNA', units: 1, postedAt: minutesAgo(10) },
    { code: '0753T', payerId: 'MEDICARE', units: 2, postedAt: minutesAgo(120) },
    { code: '0751T', payerId: 'AETNA', units: 1, postedAt: new Date('2026-03-03T09:00:00Z') },
  ],
  creditsToday: [{ code: '0753T', payerId: 'AETNA' }],
  scanLags24h: [
    { postedAt: minutesAgo(10), lagSeconds: 3 },
    { postedAt: minutesAgo(20), lagSeconds: 5 },
    { postedAt: minutesAgo(120), lagSeconds: 60 },
  ],
  caseLags24h: [{ postedAt: minutesAgo(10), lagSeconds: 3600 }],
  completedScans24h: [
    { scannerId: 'GT450-01', scannedAt: minutesAgo(5), rescan: false },
    { scannerId: 'GT450-01', scannedAt: minutesAgo(50), rescan: true },
    { scannerId: 'GT450-02', scannedAt: minutesAgo(300), rescan: true },
  ],
  verdicts24h: [
    { passed: true, failedRules: [], scannerId: 'GT450-01' },
    { passed: false, failedRules: ['focus'], scannerId: 'GT450-01' },
    { passed: false, failedRules: ['focus', 'tissue'], scannerId: 'GT450-02' },
    { passed: true, failedRules: [], scannerId: null },
  ],
};

describe('the projection numbers', () => {
  const readings = projectionReadings(facts, windows, { currency: 'USD', codes: { '0753T': { default: 2400 } } });

  it('counts charges of today and of the week in the lab calendar', () => {
    expect(readings['charges.today'].value).toBe(2);
    expect(readings['charges.week'].value).toBe(3);
    expect(readings['charges.amount.today'].value).toBe(3 * 2400);
    expect(readings['charges.amount.week'].value).toBe(3 * 2400);
    expect(readings['credits.today']).toEqual({ value: 1, breakdowns: { code: [{ key: '0753T', value: 1 }], payer: [{ key: 'AETNA', value: 1 }] } });
  });

  it('takes lag percentiles over the last hour and the last day', () => {
    expect(readings['lag.scan-to-charge.p50.1h'].value).toBe(3);
    expect(readings['lag.scan-to-charge.max.1h'].value).toBe(5);
    expect(readings['lag.scan-to-charge.p95.24h'].value).toBe(60);
    expect(readings['lag.case-to-charge.p50.24h'].value).toBe(3600);
  });

  it('counts scans of the last hour by scanner and rescans of the day', () => {
    expect(readings['scans.last-hour']).toEqual({ value: 2, breakdowns: { scanner: [{ key: 'GT450-01', value: 2 }] } });
    expect(readings['qc.rescans.24h'].value).toBe(2);
  });

  it('gives the QC failure rate, by scanner and by reason', () => {
    const rate = qcFailureRate(facts.verdicts24h);
    expect(rate.value).toBe(0.5);
    expect(rate.breakdowns?.scanner).toEqual([
      { key: 'GT450-02', value: 1 },
      { key: 'GT450-01', value: 0.5 },
      { key: 'unknown', value: 0 },
    ]);
    expect(rate.breakdowns?.reason).toEqual([
      { key: 'focus', value: 0.5 },
      { key: 'tissue', value: 0.25 },
    ]);
  });

  it('has no lag and no rate when nothing happened', () => {
    const empty = projectionReadings({ chargesThisWeek: [], creditsToday: [], scanLags24h: [], caseLags24h: [], completedScans24h: [], verdicts24h: [] }, windows, null);
    expect(empty['lag.scan-to-charge.p50.1h'].value).toBeNull();
    expect(empty['qc.failure-rate.24h'].value).toBeNull();
    expect(empty['charges.amount.today'].value).toBeNull();
    expect(empty['charges.today'].value).toBe(0);
  });
});
