import { stepsOf, wavesByPatient, winningReports } from './batch-plan';

describe('stepsOf', () => {
  type M = { kind: 'case' | 'scan' | 'qc'; id: number };
  const isCase = (m: M): m is M & { kind: 'case' } => m.kind === 'case';
  const steps = (kinds: M['kind'][]) =>
    stepsOf(
      kinds.map((kind, id) => ({ kind, id })),
      isCase,
      (m) => m,
    ).map((s) => (s.kind === 'case' ? `case@${s.index}` : `facts@${s.items.map((i) => i.index).join(',')}`));

  it('keeps each case event alone and runs of scan and QC events together, in order', () => {
    expect(steps(['scan', 'qc', 'case', 'scan', 'scan', 'case', 'case', 'qc'])).toEqual(['facts@0,1', 'case@2', 'facts@3,4', 'case@5', 'case@6', 'facts@7']);
  });

  it('an empty batch has no step; a batch of facts is one step', () => {
    expect(steps([])).toEqual([]);
    expect(steps(['qc', 'scan', 'qc'])).toEqual(['facts@0,1,2']);
  });
});

describe('winningReports', () => {
  const report = (scanId: string, status: string, scannedAt: string) => ({ scanId, status, scannedAt });

  it('of several reports of one scan, the one applied last one after the other wins', () => {
    const reports = [
      report('s1', 'started', '2026-03-02T10:00:00Z'),
      report('s2', 'completed', '2026-03-02T10:05:00Z'),
      report('s1', 'completed', '2026-03-02T10:04:00Z'),
      // A late "started" never undoes an end state.
      report('s1', 'started', '2026-03-02T10:09:00Z'),
    ];
    expect(winningReports(reports)).toEqual(new Map([['s1', 2], ['s2', 1]]));
  });

  it('between reports of the same state the later scan time wins; a repeat keeps the first', () => {
    expect(winningReports([report('s', 'completed', '2026-03-02T10:05:00Z'), report('s', 'failed', '2026-03-02T10:06:00Z')]).get('s')).toBe(1);
    expect(winningReports([report('s', 'completed', '2026-03-02T10:06:00Z'), report('s', 'failed', '2026-03-02T10:05:00Z')]).get('s')).toBe(0);
    expect(winningReports([report('s', 'completed', '2026-03-02T10:06:00Z'), report('s', 'completed', '2026-03-02T10:06:00Z')]).get('s')).toBe(0);
  });
});

describe('wavesByPatient', () => {
  const waves = (cases: [string, string][]) => wavesByPatient(cases, ([, patient]) => patient).map((w) => w.map(([accession]) => accession));

  it('puts every case in one wave when no two share a patient', () => {
    expect(waves([['A', 'p1'], ['B', 'p2'], ['C', 'p3']])).toEqual([['A', 'B', 'C']]);
  });

  it("puts a patient's second case in a later wave, keeping each patient's order", () => {
    expect(waves([['A', 'p1'], ['B', 'p1'], ['C', 'p2'], ['D', 'p1'], ['E', 'p3']])).toEqual([['A', 'C', 'E'], ['B'], ['D']]);
  });

  it('a case of another patient after a repeat joins the earliest wave its patient allows', () => {
    expect(waves([['A', 'p1'], ['B', 'p2'], ['C', 'p2'], ['D', 'p1']])).toEqual([['A', 'B'], ['C', 'D']]);
  });
});
