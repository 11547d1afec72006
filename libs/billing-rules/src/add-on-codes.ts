import { compareStrings, isIsoDate } from './dates';

/**
 * One row of the digitization add-on code table: the Category III add-on code reported with a
 * primary surgical-pathology code, and the dates of service it is in force for.
 *
 * `effectiveFrom` and `effectiveTo` are both inclusive dates of service (`YYYY-MM-DD`).
 * No `effectiveTo` means open-ended (no sunset date known yet).
 */
export interface AddOnCodeRow {
  addOnCode: string;
  primaryCode: string;
  effectiveFrom: string;
  effectiveTo?: string;
  /** false when the pairing comes from a single or doubtful source and must be checked. */
  confirmed: boolean;
  source: string;
}

const CAP_2023 = 'CAP 2023';

function row(addOnCode: string, primaryCode: string, confirmed = true): AddOnCodeRow {
  return {
    addOnCode,
    primaryCode,
    effectiveFrom: '2023-01-01',
    confirmed,
    source: confirmed ? CAP_2023 : `${CAP_2023} (pairing UNCONFIRMED)`,
  };
}

/**
 * CPT Category III digital-pathology add-on codes 0751T-0763T, effective 2023-01-01
 * (CAP, "How to use the new digital pathology CPT codes"; openpayer.com code pages).
 * No `effectiveTo`: Category III codes sunset about five years after publication (around 2028),
 * but the date is UNCONFIRMED, so it is left open and will be set as a data change.
 */
export const DIGITIZATION_ADD_ON_CODES: readonly AddOnCodeRow[] = Object.freeze([
  row('0751T', '88302'),
  row('0752T', '88304'),
  row('0753T', '88305'),
  row('0754T', '88307'),
  row('0755T', '88309'),
  row('0756T', '88312'),
  row('0757T', '88313'),
  row('0758T', '88314', false),
  row('0759T', '88319'),
  row('0760T', '88342'),
  row('0761T', '88341'),
  row('0762T', '88344'),
  row('0763T', '88360'),
]);

/** True when the row is in force on `dateOfService` (both ends inclusive). */
export function isInForce(rowToCheck: AddOnCodeRow, dateOfService: string): boolean {
  if (dateOfService < rowToCheck.effectiveFrom) return false;
  if (rowToCheck.effectiveTo !== undefined && dateOfService > rowToCheck.effectiveTo) return false;
  return true;
}

/**
 * The add-on code to report with `primaryCode` for a specimen whose date of service is
 * `dateOfService` (`YYYY-MM-DD`), or undefined when none is in force (or the date is not valid).
 * If a malformed table holds several matches, the one with the latest `effectiveFrom` wins
 * (ties: lowest add-on code); `validateAddOnCodeTable` reports such tables.
 */
export function findAddOnCode(
  table: readonly AddOnCodeRow[],
  primaryCode: string,
  dateOfService: string,
): AddOnCodeRow | undefined {
  if (!isIsoDate(dateOfService)) return undefined;
  const matches = table.filter((r) => r.primaryCode === primaryCode && isInForce(r, dateOfService));
  matches.sort(
    (a, b) => compareStrings(b.effectiveFrom, a.effectiveFrom) || compareStrings(a.addOnCode, b.addOnCode),
  );
  return matches[0];
}

export type AddOnCodeTableProblemKind =
  | 'bad-add-on-code'
  | 'bad-primary-code'
  | 'bad-date'
  | 'effective-to-before-effective-from'
  | 'missing-source'
  | 'duplicate-pairing'
  | 'primary-code-has-two-add-ons'
  | 'add-on-code-has-two-primaries';

export interface AddOnCodeTableProblem {
  kind: AddOnCodeTableProblemKind;
  /** Indexes (0-based) of the rows concerned, ascending. */
  rows: number[];
  message: string;
}

/** Category III codes: four digits and T (0753T). */
const ADD_ON_CODE = /^\d{4}T$/;
/** Category I primary codes: five digits (88305). */
const PRIMARY_CODE = /^\d{5}$/;

function rangesOverlap(a: AddOnCodeRow, b: AddOnCodeRow): boolean {
  const aEndsBeforeB = a.effectiveTo !== undefined && a.effectiveTo < b.effectiveFrom;
  const bEndsBeforeA = b.effectiveTo !== undefined && b.effectiveTo < a.effectiveFrom;
  return !aEndsBeforeB && !bEndsBeforeA;
}

function describeRange(r: AddOnCodeRow): string {
  return `${r.effectiveFrom}..${r.effectiveTo ?? 'open'}`;
}

/**
 * Checks a code table before it is used. Returns one problem per fault, empty when the table is good:
 * code formats, real dates, `effectiveTo` not before `effectiveFrom`, a source named, and no two
 * rows in force at the same time for the same pairing, the same primary code or the same add-on code
 * (each add-on pairs with exactly one primary code).
 */
export function validateAddOnCodeTable(rows: readonly AddOnCodeRow[]): AddOnCodeTableProblem[] {
  const problems: AddOnCodeTableProblem[] = [];
  const datesOk: boolean[] = [];

  rows.forEach((r, i) => {
    const label = `row ${i} (${r.addOnCode} <- ${r.primaryCode})`;
    if (typeof r.addOnCode !== 'string' || !ADD_ON_CODE.test(r.addOnCode)) {
      problems.push({ kind: 'bad-add-on-code', rows: [i], message: `${label}: add-on code "${r.addOnCode}" is not four digits and T (e.g. 0753T)` });
    }
    if (typeof r.primaryCode !== 'string' || !PRIMARY_CODE.test(r.primaryCode)) {
      problems.push({ kind: 'bad-primary-code', rows: [i], message: `${label}: primary code "${r.primaryCode}" is not five digits (e.g. 88305)` });
    }
    let ok = true;
    if (!isIsoDate(r.effectiveFrom)) {
      ok = false;
      problems.push({ kind: 'bad-date', rows: [i], message: `${label}: effectiveFrom "${r.effectiveFrom}" is not a YYYY-MM-DD date` });
    }
    if (r.effectiveTo !== undefined && !isIsoDate(r.effectiveTo)) {
      ok = false;
      problems.push({ kind: 'bad-date', rows: [i], message: `${label}: effectiveTo "${r.effectiveTo}" is not a YYYY-MM-DD date` });
    }
    if (ok && r.effectiveTo !== undefined && r.effectiveTo < r.effectiveFrom) {
      ok = false;
      problems.push({
        kind: 'effective-to-before-effective-from',
        rows: [i],
        message: `${label}: effectiveTo ${r.effectiveTo} is before effectiveFrom ${r.effectiveFrom}`,
      });
    }
    if (typeof r.source !== 'string' || r.source.trim() === '') {
      problems.push({ kind: 'missing-source', rows: [i], message: `${label}: no source named for this pairing` });
    }
    datesOk.push(ok);
  });

  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const a = rows[i];
      const b = rows[j];
      if (!datesOk[i] || !datesOk[j] || !rangesOverlap(a, b)) continue;
      const when = `${describeRange(a)} and ${describeRange(b)}`;
      if (a.addOnCode === b.addOnCode && a.primaryCode === b.primaryCode) {
        problems.push({
          kind: 'duplicate-pairing',
          rows: [i, j],
          message: `rows ${i} and ${j}: ${a.primaryCode} -> ${a.addOnCode} listed twice with overlapping dates (${when})`,
        });
      } else if (a.primaryCode === b.primaryCode) {
        problems.push({
          kind: 'primary-code-has-two-add-ons',
          rows: [i, j],
          message: `rows ${i} and ${j}: primary ${a.primaryCode} pairs with both ${a.addOnCode} and ${b.addOnCode} at the same time (${when})`,
        });
      } else if (a.addOnCode === b.addOnCode) {
        problems.push({
          kind: 'add-on-code-has-two-primaries',
          rows: [i, j],
          message: `rows ${i} and ${j}: add-on ${a.addOnCode} pairs with both ${a.primaryCode} and ${b.primaryCode} at the same time (${when})`,
        });
      }
    }
  }
  return problems;
}
