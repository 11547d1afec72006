import { applyFactChanges, CaseFacts, CaseFactsCache, factChangesOf, NO_FACT_CHANGES } from './case-facts-cache';
import { QcJson, ScanJson } from './facts';

const scanJson = (scanId: string, slideBarcode: string, status = 'completed'): ScanJson => ({
  scanId,
  slideBarcode,
  status,
  purpose: 'diagnostic',
  scannedAt: '2026-12-02T10:00:00.123+00:00',
  sourceEventId: `ev-${scanId}`,
});
const qcJson = (scanId: string, sourceEventId: string, passed = true): QcJson => ({ scanId, passed, reasons: passed ? [] : ['out of focus'], sourceEventId });

/** A case with `slides` slides S1..Sn of specimen A, scans s1..s(scanned) completed, each with a passing verdict. */
function caseFacts(revision: number, slides: number, scanned = 0, accessionNumber = 'ACC-1'): CaseFacts {
  const barcodes = Array.from({ length: slides }, (_, i) => `S${i + 1}`);
  return {
    revision,
    version: 1,
    facts: {
      accessionNumber,
      status: 'active',
      patientId: 'MRN-1',
      payerId: 'AETNA',
      collectionDate: '2026-12-01',
      diagnoses: ['C50.911'],
      flags: {},
      specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
      slides: barcodes.map((barcode) => ({ barcode, specimenId: 'A' })),
    },
    scans: barcodes.slice(0, scanned).map((b, i) => ({ scanId: `s${i + 1}`, slideBarcode: b, status: 'completed', purpose: 'diagnostic', completedAt: '2026-12-02T10:00:00.123Z', sourceEventId: `ev-s${i + 1}` })),
    qcResults: barcodes.slice(0, scanned).map((_, i) => ({ scanId: `s${i + 1}`, passed: true, reasons: [], sourceEventId: `qc-s${i + 1}` })),
  };
}

describe('applyFactChanges', () => {
  it('adds a new scan with its stored verdicts and a verdict recorded on it, at the next revision, sorted', () => {
    const base = caseFacts(4, 3, 1);
    const next = applyFactChanges(base, { scans: [{ scan: scanJson('s0', 'S3'), qc: [qcJson('s0', 'qc-early')] }], removedScanIds: [], qcs: [qcJson('s0', 'qc-later', false)] }, 5);
    expect(next?.revision).toBe(5);
    expect(next?.scans.map((s) => [s.scanId, s.slideBarcode, s.completedAt])).toEqual([
      ['s0', 'S3', '2026-12-02T10:00:00.123Z'],
      ['s1', 'S1', '2026-12-02T10:00:00.123Z'],
    ]);
    expect(next?.qcResults.map((q) => [q.scanId, q.sourceEventId, q.passed])).toEqual([
      ['s0', 'qc-early', true],
      ['s0', 'qc-later', false],
      ['s1', 'qc-s1', true],
    ]);
  });

  it('replaces a changed scan and its verdicts with what is stored, and leaves the base as it was', () => {
    const base = caseFacts(1, 2, 2);
    const before = JSON.stringify(base);
    const next = applyFactChanges(base, { scans: [{ scan: scanJson('s2', 'S2', 'failed'), qc: [] }], removedScanIds: [], qcs: [] }, 2);
    expect(next?.scans.find((s) => s.scanId === 's2')).toEqual({ scanId: 's2', slideBarcode: 'S2', status: 'failed', purpose: 'diagnostic', sourceEventId: 'ev-s2' });
    expect(next?.qcResults.map((q) => q.scanId)).toEqual(['s1']);
    expect(JSON.stringify(base)).toBe(before);
  });

  it('drops a scan that left the case, with its verdicts', () => {
    const next = applyFactChanges(caseFacts(7, 3, 3), { scans: [], removedScanIds: ['s2'], qcs: [] }, 8);
    expect(next?.scans.map((s) => s.scanId)).toEqual(['s1', 's3']);
    expect(next?.qcResults.map((q) => q.scanId)).toEqual(['s1', 's3']);
  });

  it('nothing changed: the same facts at the next revision', () => {
    const base = caseFacts(2, 2, 1);
    expect(applyFactChanges(base, NO_FACT_CHANGES, 3)).toEqual({ ...base, revision: 3 });
  });

  it('answers undefined (read the case) for another revision, a verdict on a scan it lacks, or a scan on a slide it lacks', () => {
    const base = caseFacts(2, 2, 1);
    expect(applyFactChanges(base, NO_FACT_CHANGES, 4)).toBeUndefined();
    expect(applyFactChanges(base, { scans: [], removedScanIds: [], qcs: [qcJson('unknown', 'q')] }, 3)).toBeUndefined();
    expect(applyFactChanges(base, { scans: [{ scan: scanJson('s9', 'OTHER-SLIDE'), qc: [] }], removedScanIds: [], qcs: [] }, 3)).toBeUndefined();
  });
});

describe('factChangesOf', () => {
  it('a scan that moved counts on its new case and leaves the old; a verdict counts on its scan case; unchanged scans and repeats count nowhere', () => {
    const moved = { changed: true, accessionNumber: 'X', previousAccession: 'Y', stored: { scan: scanJson('s1', 'X-1'), qc: [] } };
    const same = { changed: true, accessionNumber: 'X', previousAccession: 'X', stored: { scan: scanJson('s2', 'X-2'), qc: [] } };
    const unchanged = { changed: false, accessionNumber: 'X', previousAccession: 'X' };
    const verdict = { recorded: true, accessionNumber: 'Z', scanAccession: 'X', stored: qcJson('s2', 'q1') };
    const repeat = { recorded: false, accessionNumber: 'X', scanAccession: 'X' };
    const changes = factChangesOf([moved, same, unchanged], [verdict, repeat]);
    expect(changes.get('X')).toEqual({ scans: [moved.stored, same.stored], removedScanIds: [], qcs: [verdict.stored] });
    expect(changes.get('Y')).toEqual({ scans: [], removedScanIds: ['s1'], qcs: [] });
    expect(changes.has('Z')).toBe(false);
  });
});

describe('CaseFactsCache', () => {
  const options = { maxSlides: 1000, minSlides: 100, ttlMs: 60_000 };

  it('keeps a large case at its revision only, and not a small one', () => {
    const cache = new CaseFactsCache(options);
    cache.keep([caseFacts(3, 200, 0, 'BIG'), caseFacts(3, 99, 0, 'SMALL')]);
    expect(cache.at('BIG', 3)?.revision).toBe(3);
    expect(cache.at('BIG', 2)).toBeUndefined();
    expect(cache.at('SMALL', 3)).toBeUndefined();
    expect(cache.size).toEqual({ cases: 1, slides: 200 });
  });

  it('a later revision replaces an earlier one, never the reverse', () => {
    const cache = new CaseFactsCache(options);
    cache.keep([caseFacts(5, 200, 0, 'BIG')]);
    cache.keep([caseFacts(4, 200, 0, 'BIG')]);
    expect(cache.at('BIG', 5)).toBeDefined();
    cache.keep([caseFacts(6, 200, 0, 'BIG')]);
    expect(cache.at('BIG', 5)).toBeUndefined();
    expect(cache.at('BIG', 6)).toBeDefined();
    expect(cache.size.slides).toBe(200);
  });

  it('is not used past its time to live, and goes at the next keep even if never asked for', () => {
    let now = 1_000;
    const cache = new CaseFactsCache(options, () => now);
    cache.keep([caseFacts(1, 200, 0, 'BIG'), caseFacts(1, 200, 0, 'IDLE')]);
    now += 60_001;
    expect(cache.at('BIG', 1)).toBeUndefined();
    expect(cache.size).toEqual({ cases: 1, slides: 200 });
    cache.keep([]);
    expect(cache.size).toEqual({ cases: 0, slides: 0 });
  });

  it('holds at most maxSlides, the least recently used out first; 0 keeps nothing', () => {
    const cache = new CaseFactsCache({ ...options, maxSlides: 500 });
    cache.keep([caseFacts(1, 200, 0, 'A'), caseFacts(1, 200, 0, 'B')]);
    expect(cache.at('A', 1)).toBeDefined(); // A used: B is the least recently used
    cache.keep([caseFacts(1, 200, 0, 'C')]);
    expect(cache.at('B', 1)).toBeUndefined();
    expect(cache.at('A', 1)).toBeDefined();
    expect(cache.at('C', 1)).toBeDefined();
    const off = new CaseFactsCache({ ...options, maxSlides: 0 });
    off.keep([caseFacts(1, 200, 0, 'A')]);
    expect(off.size.cases).toBe(0);
  });
});
