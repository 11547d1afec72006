import { billingEntries, caseVersionEntries, chronological, deliveryEntries, qcEntries, scanEntries } from './timeline-entries';

describe("a case's timeline", () => {
  const scans = scanEntries([{ scanId: 's1', slideBarcode: 'B-1', eventType: 'scan.completed', scannerId: 'GT450-01', occurredAt: '2026-03-04T10:01:00Z', receivedVia: 'http' }]);
  const verdicts = qcEntries([{ scanId: 's1', slideBarcode: 'B-1', passed: false, reasons: ['focus 0.31 < 0.6'], rulesVersion: 'v1', evaluatedAt: '2026-03-04T10:01:01Z' }]);
  const versions = caseVersionEntries([{ version: 1, type: 'case.created', occurredAt: new Date('2026-03-04T10:00:00Z'), traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }]);

  it('says what happened to each slide, with the facts', () => {
    expect(scans[0]).toMatchObject({ kind: 'scan', service: 'scanner-events', facts: { slide: 'B-1', scanner: 'GT450-01', scanId: 's1' } });
    expect(verdicts[0]).toMatchObject({ kind: 'qc-verdict', facts: { verdict: 'fail', reason: 'focus 0.31 < 0.6' } });
    expect(versions[0]).toMatchObject({ kind: 'case-version', traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  it('shows charges with their rule trace, credits, actions by people and specimens left uncharged', () => {
    const entries = billingEntries(
      {
        case: { version: 2, updatedAt: '2026-03-04T10:05:00Z', status: 'active' },
        charges: [
          {
            chargeId: 'c1',
            code: '0753T',
            units: 1,
            status: 'credited',
            postedAt: '2026-03-04T10:02:00Z',
            specimenId: 'A',
            credit: { creditId: 'k1', reason: 'units-changed', detail: '1 -> 2', creditedAt: '2026-03-04T10:05:01Z' },
          },
        ],
        explanations: [{ specimenId: 'B', reason: 'qc-failed', detail: 'every scan failed QC', trace: [{ rule: 'qc', outcome: 'fail', detail: 'focus' }] }],
      },
      new Map([
        [
          'c1',
          {
            chargeId: 'c1',
            trace: [{ rule: 'add-on', outcome: '0753T', detail: '88305' }],
            audit: [
              { at: '2026-03-04T10:02:00Z', actor: 'billing-rules', action: 'created', fromStatus: null, toStatus: 'held' },
              { at: '2026-03-04T10:03:00Z', actor: 'reviewer (sub 1)', action: 'released', fromStatus: 'held', toStatus: 'posted', reason: 'payer confirmed' },
            ].map((a) => ({ reason: '', ...a })),
          },
        ],
      ]),
      new Map([['c1', '4bf92f3577b34da6a3ce929d0e0e4736']]),
    );
    expect(entries.map((e) => e.kind)).toEqual(['charge', 'credit', 'audit', 'decision']);
    expect(entries[0]).toMatchObject({ trace: [{ rule: 'add-on' }], traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
    expect(entries[2]).toMatchObject({ actor: 'reviewer (sub 1)', facts: { action: 'released' } });
    expect(entries[3]).toMatchObject({ facts: { specimen: 'B', reason: 'qc-failed' }, trace: [{ rule: 'qc' }] });
  });

  it('shows deliveries and retries by hand', () => {
    const entries = deliveryEntries([
      { deliveryId: 'd1', kind: 'charge', chargeId: 'c1', state: 'failed', attempts: 5, lastError: 'AE', createdAt: '2026-03-04T10:02:01Z', ackedAt: null, lastRetry: { by: 'admin', at: '2026-03-04T11:00:00Z' } },
    ]);
    expect(entries.map((e) => [e.kind, e.actor ?? null])).toEqual([
      ['delivery', null],
      ['audit', 'admin'],
    ]);
  });

  it('puts everything in time order, the pipeline order at the same instant', () => {
    const ordered = chronological([...verdicts, ...scans, ...versions]);
    expect(ordered.map((e) => e.kind)).toEqual(['case-version', 'scan', 'qc-verdict']);
  });
});
