import {
  awaitingRescanReading,
  consumerLagReading,
  deadLetterReading,
  deliveryReadings,
  outboxBacklogOf,
  problemOf,
  readinessReadings,
  reviewQueueReadings,
} from './service-readings';

const now = new Date('2026-03-04T12:00:00Z');
const schedule = { currency: 'USD', codes: { '0753T': { default: 2400 } } };

describe('numbers read from the owning services', () => {
  it('reads held charges: total, value and the age of the oldest', () => {
    const readings = reviewQueueReadings(
      {
        ok: true,
        value: {
          total: 2,
          items: [
            { code: '0753T', payerId: 'MEDICARE', units: 2, statusChangedAt: '2026-03-04T11:00:00Z' },
            { code: '0753T', payerId: 'MEDICARE', units: 1, statusChangedAt: '2026-03-04T11:30:00Z' },
          ],
        },
      },
      schedule,
      now,
    );
    expect(readings['held.count']).toEqual({ value: 2, breakdowns: { code: [{ key: '0753T', value: 2 }] } });
    expect(readings['held.amount'].value).toBe(3 * 2400);
    expect(readings['review.oldest.seconds'].value).toBe(3600);
  });

  it('says when the value covers only the first page of held charges', () => {
    const readings = reviewQueueReadings({ ok: true, value: { total: 600, items: [{ code: '0753T', payerId: 'A', units: 1, statusChangedAt: '2026-03-04T11:00:00Z' }] } }, schedule, now);
    expect(readings['held.count'].value).toBe(600);
    expect(readings['held.amount'].unavailable).toMatch(/1 oldest of 600/);
  });

  it('makes every number of a failed source unavailable with what to do', () => {
    const readings = reviewQueueReadings({ ok: false, problem: problemOf('billing', 'GET /review-queue', 'unreachable') }, schedule, now);
    expect(readings['held.count']).toEqual({ value: null, unavailable: expect.stringContaining('check that billing runs') });
    expect(problemOf('billing', 'GET /deliveries', 403)).toMatch(/role/);
    expect(problemOf('qc', 'GET /dead-letters', 404)).toMatch(/update qc/);
  });

  it('counts slides awaiting a rescan by reason', () => {
    expect(awaitingRescanReading({ ok: true, value: [{ reasons: ['focus', 'focus'] }, { reasons: ['tissue'] }] })).toEqual({
      value: 2,
      breakdowns: {
        reason: [
          { key: 'focus', value: 1 },
          { key: 'tissue', value: 1 },
        ],
      },
    });
  });

  it('adds dead letters of the services that answered and names those that did not', () => {
    const item = { id: 'd1', failedAt: '', consumerGroup: 'qc', topic: 'scan.events.v1', partition: 0, offset: '1', reason: 'schema-violation', message: '', sizeBytes: 1, state: 'open' as const, replays: [] };
    const reading = deadLetterReading([
      { service: 'qc', list: { ok: true, value: { total: 3, items: [item] } } },
      { service: 'billing', list: { ok: false, problem: 'billing has no GET /dead-letters (HTTP 404)' } },
    ]);
    expect(reading.value).toBe(3);
    expect(reading.unavailable).toMatch(/billing/);
    expect(reading.breakdowns?.service).toEqual([{ key: 'qc', value: 3 }]);
    expect(deadLetterReading([{ service: 'qc', list: { ok: false, problem: 'down' } }])).toEqual({ value: null, unavailable: 'down' });
  });

  it('reads failed and pending deliveries from the counts per state', () => {
    const readings = deliveryReadings({ ok: true, value: { pending: 2, 'in-flight': 1, failed: 4 } });
    expect(readings['deliveries.failed'].value).toBe(4);
    expect(readings['deliveries.pending'].value).toBe(3);
  });

  it("reads the outbox backlog from a check's backlog, else the relay's pending", () => {
    expect(outboxBacklogOf({ status: 'up', checks: [{ name: 'outbox-relay', status: 'up', backlog: 7, pending: 1 }] })).toBe(7);
    expect(outboxBacklogOf({ status: 'up', checks: [{ name: 'outbox-relay', status: 'up', pending: 2 }] })).toBe(2);
    expect(outboxBacklogOf({ status: 'up', checks: [{ name: 'postgres', status: 'up' }] })).toBeNull();
  });

  it('counts ready services, a down or silent one as not ready', () => {
    const readings = readinessReadings([
      { service: 'billing', readiness: { ok: true, value: { status: 'up', checks: [{ name: 'outbox-relay', pending: 3 }] } } },
      { service: 'qc', readiness: { ok: true, value: { status: 'down', checks: [] } } },
      { service: 'accession', readiness: { ok: false, problem: 'accession did not answer' } },
    ]);
    expect(readings['services.up'].value).toBe(1);
    expect(readings['outbox.backlog'].value).toBe(3);
    expect(readings['outbox.backlog'].unavailable).toMatch(/accession/);
  });

  it('sums consumer lag over the groups', () => {
    expect(
      consumerLagReading({
        ok: true,
        value: [
          { group: 'qc', lag: 2, byTopic: {} },
          { group: 'billing', lag: 5, byTopic: {} },
        ],
      }),
    ).toEqual({
      value: 7,
      breakdowns: {
        group: [
          { key: 'billing', value: 5 },
          { key: 'qc', value: 2 },
        ],
      },
    });
  });
});
