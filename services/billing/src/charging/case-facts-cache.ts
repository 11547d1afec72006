import { compareStrings, type QcFacts } from '@slidecharge/billing-rules';
import type { RecordedQcEffect, StoredScanEffect } from './billing.repository';
import { LoadedCase, QcJson, qcFactsOf, ScanJson, scanFactsOf } from './facts';

/**
 * A large case's facts kept in memory between the transactions that decide it (pure: no I/O).
 *
 * Every transaction that changes a case's facts (its case event; a scan or a verdict on one of its
 * slides, or a scan whose slide it had) decides that case, and first takes the case's row and counts
 * its facts revision up (BillingRepository.claimCases), in the transaction of the change. So the facts
 * a decision read at revision r are the stored facts for as long as the stored revision is r: a
 * transaction that finds revision r + 1 after its own count (nobody else changed the case since)
 * knows the case's facts as those at r plus its own changes, which its writes return as stored
 * (applyFactChanges). Any other revision, an entry older than its time to live or a change that does
 * not fit (a verdict on a scan the facts lack) reads the case from the database as before. Charges are
 * never kept: other writers change them (the DFT^P03 sender, the review queue). A 2,000-slide case's
 * facts are 6,000 rows; read again by each of the 25 or so transactions that touch it while it is
 * scanned, they were half of billing's statement time (docs/benchmarks.md).
 */

/** A case's facts (all the rules read but its charges) at a facts revision. */
export interface CaseFacts extends Omit<LoadedCase, 'charges'> {
  revision: number;
}

/** What one step of a transaction changed of one case's facts, as the writes returned it. */
export interface CaseFactChanges {
  /** Scans on the case's slides, inserted or changed, as stored, each with its stored verdicts. */
  scans: { scan: ScanJson; qc: QcJson[] }[];
  /** Scans whose slide the case had and whose new report names a slide it has not. */
  removedScanIds: string[];
  /** Verdicts recorded on scans of the case's slides. */
  qcs: QcJson[];
}

export const NO_FACT_CHANGES: CaseFactChanges = { scans: [], removedScanIds: [], qcs: [] };

/**
 * What a step's writes changed of each case's facts, by accession: a changed scan is on the case of its
 * slide and leaves the case of the slide it named before; a recorded verdict is a fact of the case of
 * its scan's slide (the case whose read joins it through the scan).
 */
export function factChangesOf(scans: readonly StoredScanEffect[], verdicts: readonly RecordedQcEffect[]): Map<string, CaseFactChanges> {
  const changes = new Map<string, CaseFactChanges>();
  const of = (accession: string) => {
    let c = changes.get(accession);
    if (!c) changes.set(accession, (c = { scans: [], removedScanIds: [], qcs: [] }));
    return c;
  };
  for (const s of scans) {
    if (!s.stored) continue;
    if (s.accessionNumber !== undefined) of(s.accessionNumber).scans.push(s.stored);
    if (s.previousAccession !== undefined && s.previousAccession !== s.accessionNumber) of(s.previousAccession).removedScanIds.push(s.stored.scan.scanId);
  }
  for (const v of verdicts) if (v.stored && v.scanAccession !== undefined) of(v.scanAccession).qcs.push(v.stored);
  return changes;
}

const qcOrder = (a: QcFacts, b: QcFacts) => compareStrings(a.scanId, b.scanId) || compareStrings(a.sourceEventId, b.sourceEventId);

/**
 * The facts at `revision`: those of `base` (at revision - 1) with the changes applied, in new arrays
 * (base is left as it was: it may be another transaction's). Undefined when a change does not fit
 * what base holds: a verdict on a scan the case's facts lack, or a scan on a slide the case lacks;
 * the caller reads the case from the database instead.
 */
export function applyFactChanges(base: CaseFacts, changes: CaseFactChanges, revision: number): CaseFacts | undefined {
  if (base.revision !== revision - 1) return undefined;
  const slides = new Set(base.facts.slides.map((s) => s.barcode));
  const scans = new Map(base.scans.map((s) => [s.scanId, s]));
  const replaced = new Set(changes.removedScanIds);
  for (const { scan } of changes.scans) {
    if (!slides.has(scan.slideBarcode)) return undefined;
    replaced.add(scan.scanId);
  }
  for (const id of changes.removedScanIds) scans.delete(id);
  // A changed scan comes with every verdict stored for it: those replace the ones kept.
  const qcResults = base.qcResults.filter((q) => !replaced.has(q.scanId));
  for (const { scan, qc } of changes.scans) {
    scans.set(scan.scanId, scanFactsOf(scan));
    qcResults.push(...qc.map(qcFactsOf));
  }
  for (const q of changes.qcs) {
    if (!scans.has(q.scanId)) return undefined;
    qcResults.push(qcFactsOf(q));
  }
  return {
    revision,
    version: base.version,
    facts: base.facts,
    scans: [...scans.values()].sort((a, b) => compareStrings(a.scanId, b.scanId)),
    qcResults: qcResults.sort(qcOrder),
  };
}

export interface CaseFactsCacheOptions {
  /** The most slides the kept cases may have together (their memory); 0: nothing is kept. */
  maxSlides: number;
  /** Only a case with at least this many slides is kept (reading a small case costs little). */
  minSlides: number;
  /** An entry older than this is not used (a bound on what an edit by hand, which counts no revision, could leave stale). */
  ttlMs: number;
}

/** The facts of the large cases this process decided last, least recently used first out. */
export class CaseFactsCache {
  private readonly entries = new Map<string, { facts: CaseFacts; keptAt: number; slides: number }>();
  private slides = 0;

  constructor(
    private readonly options: CaseFactsCacheOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a case of this many slides is kept. */
  keeps(facts: CaseFacts): boolean {
    const size = facts.facts.slides.length;
    return this.options.maxSlides > 0 && size >= this.options.minSlides && size <= this.options.maxSlides;
  }

  /** The case's facts kept at exactly this revision, within their time to live. */
  at(accessionNumber: string, revision: number): CaseFacts | undefined {
    const entry = this.entries.get(accessionNumber);
    if (!entry) return undefined;
    if (this.now() - entry.keptAt > this.options.ttlMs) {
      this.forget(accessionNumber);
      return undefined;
    }
    if (entry.facts.revision !== revision) return undefined;
    // Most recently used last.
    this.entries.delete(accessionNumber);
    this.entries.set(accessionNumber, entry);
    return entry.facts;
  }

  /**
   * Keeps the facts a committed transaction decided on (a later revision replaces an earlier one, never
   * the reverse); entries past their time to live go, then the least recently used over the budget.
   */
  keep(all: Iterable<CaseFacts>): void {
    const now = this.now();
    for (const [accession, entry] of this.entries) if (now - entry.keptAt > this.options.ttlMs) this.forget(accession);
    for (const facts of all) {
      if (!this.keeps(facts)) continue;
      const accession = facts.facts.accessionNumber;
      const current = this.entries.get(accession);
      if (current && current.facts.revision >= facts.revision) continue;
      this.forget(accession);
      const slides = facts.facts.slides.length;
      this.entries.set(accession, { facts, keptAt: now, slides });
      this.slides += slides;
    }
    for (const accession of this.entries.keys()) {
      if (this.slides <= this.options.maxSlides) break;
      this.forget(accession);
    }
  }

  /** How many cases and slides are kept. */
  get size(): { cases: number; slides: number } {
    return { cases: this.entries.size, slides: this.slides };
  }

  private forget(accessionNumber: string): void {
    const entry = this.entries.get(accessionNumber);
    if (!entry) return;
    this.entries.delete(accessionNumber);
    this.slides -= entry.slides;
  }
}
