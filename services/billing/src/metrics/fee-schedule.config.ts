import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { FeeSchedule, parseFeeSchedule } from '@slidecharge/billing-rules';

/** A fee schedule read at start, and the file it came from. */
export interface LoadedFeeSchedule {
  path: string;
  schedule: FeeSchedule;
}

export type FeeScheduleLoad = { ok: true; loaded: LoadedFeeSchedule } | { ok: false; problems: string[] };

/**
 * Reads and checks the fee schedule file (libs/billing-rules fee-schedule.ts; example:
 * ops/fee-schedule.example.json). Every problem names the file, so a bad file stops billing with a
 * message an operator can act on.
 */
export function loadFeeSchedule(file: string, cwd = process.cwd()): FeeScheduleLoad {
  const path = resolve(cwd, file);
  const where = `is ${path}, which`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { ok: false, problems: [`${where} cannot be read (${(e as Error).message})`] };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (e) {
    return { ok: false, problems: [`${where} is not valid JSON (${(e as Error).message})`] };
  }
  const parsed = parseFeeSchedule(document);
  return parsed.ok ? { ok: true, loaded: { path, schedule: parsed.schedule } } : { ok: false, problems: parsed.problems.map((p) => `${where} is wrong: ${p}`) };
}

/** The fee schedule variable of billing (merged into billingConfigSchema): unset or empty = no fee schedule. */
export const feeScheduleConfigShape = {
  /** JSON fee schedule for slidecharge_charges_held_value_cents; unset: that gauge is absent. */
  SLIDECHARGE_FEE_SCHEDULE_FILE: z
    .string()
    .optional()
    .transform((file, ctx): LoadedFeeSchedule | undefined => {
      if (file === undefined || file.trim() === '') return undefined;
      const load = loadFeeSchedule(file.trim());
      if (load.ok) return load.loaded;
      for (const message of load.problems) ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }),
};
