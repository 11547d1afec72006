import { estimateCents, FeeSchedule } from '@slidecharge/billing-rules';
import type { MetricReading } from '@slidecharge/contracts';
import { breakdownOf, reading, tally } from './readings';

/** What a charge is worth estimating: its code, payer and units. */
export interface ChargeLine {
  code: string;
  payerId: string;
  units: number;
}

/**
 * Count of charges by code and payer.
 */
export function chargeCount(lines: readonly ChargeLine[]): MetricReading {
  const byCode = new Map<string, number>();
  const byPayer = new Map<string, number>();
  for (const line of lines) {
    tally(byCode, line.code);
    tally(byPayer, line.payerId);
  }
  return reading(lines.length, { code: breakdownOf(byCode), payer: breakdownOf(byPayer) });
}

/**
 * Estimated value of charges: units x the fee schedule's cents for the code (and payer). Null without
 * a fee schedule; a code the schedule does not price adds nothing (and no breakdown entry).
 */
export function chargeValue(lines: readonly ChargeLine[], schedule: FeeSchedule | null, breakdowns: ReadonlyArray<'code' | 'payer'> = ['code', 'payer']): MetricReading {
  if (!schedule) return { value: null };
  const byCode = new Map<string, number>();
  const byPayer = new Map<string, number>();
  let total = 0;
  for (const line of lines) {
    const cents = estimateCents(schedule, line.code, line.payerId, line.units);
    if (cents === null) continue;
    total += cents;
    tally(byCode, line.code, cents);
    tally(byPayer, line.payerId, cents);
  }
  const all = { code: breakdownOf(byCode), payer: breakdownOf(byPayer) };
  return reading(total, Object.fromEntries(breakdowns.map((b) => [b, all[b]])));
}
