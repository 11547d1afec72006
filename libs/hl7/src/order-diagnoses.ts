import { readValue, repetitionCount } from './encoding';
import type { Findings, SegRef } from './order-reading';

/** ICD-10-CM written with its dot (C50911 -> C50.911); other text as it is, upper case. */
export function normalizeIcd10(code: string): string {
  const c = code.trim().toUpperCase();
  return /^[A-Z]\d[0-9A-Z][0-9A-Z]{1,4}$/.test(c) ? `${c.slice(0, 3)}.${c.slice(3)}` : c;
}

/** The diagnosis group (DG1): every repetition of DG1-3 in every DG1, in order, each code once. */
export function readDiagnoses(dg1s: SegRef[], f: Findings): string[] {
  const diagnoses: string[] = [];
  for (const dg1 of dg1s) {
    const reps = repetitionCount(dg1.seg, 3);
    for (let i = 0; i < reps; i++) {
      const code = normalizeIcd10(readValue(dg1.seg, 3, 1, 1, i));
      if (!code || diagnoses.includes(code)) continue;
      f.locs.set(`diagnoses.${diagnoses.length}`, { segment: 'DG1', sequence: dg1.sequence, field: 3, repetition: i + 1 });
      diagnoses.push(code);
    }
  }
  return diagnoses;
}
