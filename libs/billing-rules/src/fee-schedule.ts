/**
 * A lab's fee schedule: what it expects to be paid per unit of a code, by default and per payer, in
 * cents. Used only to estimate (the console's "estimated value", "revenue at risk", the held-value
 * metric); charges never carry an amount, the billing system prices them.
 *
 * File format (JSON, e.g. ops/fee-schedule.example.json):
 *   { "currency": "USD", "codes": { "0753T": { "default": 2400, "payers": { "AETNA": 2150 } } } }
 */
export interface FeeScheduleEntry {
  /** Cents per unit when the payer has no amount of its own; absent: unknown. */
  default?: number;
  /** Cents per unit, by payer id (the charge's payerId). */
  payers?: Readonly<Record<string, number>>;
}

export interface FeeSchedule {
  currency: string;
  codes: Readonly<Record<string, FeeScheduleEntry>>;
}

export type FeeScheduleParse = { ok: true; schedule: FeeSchedule } | { ok: false; problems: string[] };

const isCents = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

function entryProblems(code: string, entry: unknown): string[] {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [`codes.${code} must be an object`];
  const { default: amount, payers } = entry as Record<string, unknown>;
  const problems: string[] = [];
  if (amount !== undefined && !isCents(amount)) problems.push(`codes.${code}.default must be whole cents (an integer >= 0)`);
  if (payers !== undefined) {
    if (typeof payers !== 'object' || payers === null || Array.isArray(payers)) problems.push(`codes.${code}.payers must be an object`);
    else for (const [payer, cents] of Object.entries(payers)) if (!isCents(cents)) problems.push(`codes.${code}.payers.${payer} must be whole cents`);
  }
  return problems;
}

/** Checks a parsed JSON document against the format above; says what is wrong, field by field. */
export function parseFeeSchedule(document: unknown): FeeScheduleParse {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return { ok: false, problems: ['the fee schedule must be a JSON object'] };
  const { currency, codes } = document as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof currency !== 'string' || !/^[A-Z]{3}$/.test(currency)) problems.push('currency must be an ISO 4217 code such as USD');
  if (typeof codes !== 'object' || codes === null || Array.isArray(codes)) problems.push('codes must be an object keyed by CPT code');
  else for (const [code, entry] of Object.entries(codes)) problems.push(...entryProblems(code, entry));
  return problems.length ? { ok: false, problems } : { ok: true, schedule: document as FeeSchedule };
}

/** Cents per unit of `code` for `payerId`: the payer's own amount, else the default, else null (unknown). */
export function unitPriceCents(schedule: FeeSchedule, code: string, payerId: string): number | null {
  const entry = schedule.codes[code];
  if (!entry) return null;
  return entry.payers?.[payerId] ?? entry.default ?? null;
}

/** The estimated value of `units` of `code` billed to `payerId`, in cents; null when the schedule has no amount. */
export function estimateCents(schedule: FeeSchedule, code: string, payerId: string, units: number): number | null {
  const price = unitPriceCents(schedule, code, payerId);
  return price === null ? null : price * units;
}
