import { supersedes } from './facts';

/**
 * How billing applies a batch of events of one partition (pure): which events are stored together,
 * which scan reports win within the batch, and in which groups cases are decided.
 */

/** A step of a batch: a case event alone, or a run of consecutive scan and QC events stored together. */
export type BatchStep<C, F> = { kind: 'case'; index: number; message: C } | { kind: 'facts'; items: { index: number; message: F }[] };

/**
 * Splits a batch into steps, in order: each case event alone (it replaces slides that later events of
 * the batch read), and each run of scan and QC events between them as one step (their facts are stored
 * with one statement per table, then every case they touch is decided once).
 */
export function stepsOf<M, C extends M, F extends M>(messages: readonly M[], isCase: (m: M) => m is C, asFacts: (m: M) => F): BatchStep<C, F>[] {
  const steps: BatchStep<C, F>[] = [];
  messages.forEach((message, index) => {
    if (isCase(message)) {
      steps.push({ kind: 'case', index, message });
      return;
    }
    const last = steps[steps.length - 1];
    if (last?.kind === 'facts') last.items.push({ index, message: asFacts(message) });
    else steps.push({ kind: 'facts', items: [{ index, message: asFacts(message) }] });
  });
  return steps;
}

/**
 * The report of each scan that the batch stores: of several reports of one scanId, the one that would
 * be stored last had they been applied one after the other (a later state wins, then a later scan time;
 * a repeat changes nothing), so that one multi-row upsert never touches a row twice. Returns the winning
 * position per scanId; the others are superseded within the batch.
 */
export function winningReports<R extends { scanId: string; status: string; scannedAt: string }>(reports: readonly R[]): Map<string, number> {
  const winners = new Map<string, number>();
  reports.forEach((report, position) => {
    const current = winners.get(report.scanId);
    if (current === undefined || supersedes(report, reports[current] as R)) winners.set(report.scanId, position);
  });
  return winners;
}

/**
 * Groups cases into waves that hold at most one case of each patient, in order. The cases of one wave
 * are decided and written together; a patient's second case waits for the next wave, because the
 * per-patient unit limits count the charges the first one has just written.
 */
export function wavesByPatient<T>(cases: readonly T[], patientOf: (c: T) => string): T[][] {
  const waves: { patients: Set<string>; cases: T[] }[] = [];
  for (const c of cases) {
    const patient = patientOf(c);
    // After the last wave that holds this patient (order per patient is kept).
    let after = -1;
    waves.forEach((w, i) => {
      if (w.patients.has(patient)) after = i;
    });
    const wave = waves[after + 1] ?? { patients: new Set<string>(), cases: [] };
    if (after + 1 === waves.length) waves.push(wave);
    wave.patients.add(patient);
    wave.cases.push(c);
  }
  return waves.map((w) => w.cases);
}
