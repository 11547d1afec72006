import type { FeeSchedule } from '@slidecharge/billing-rules';
import type { MetricReading, OpsMetricId } from '@slidecharge/contracts';
import { ChargeLine, chargeCount, chargeValue } from './charge-value';
import { PostedLag, summarizeLags } from './lag-statistics';
import { breakdownOf, reading, tally } from './readings';

/** The facts of the read model the numbers are computed from, already cut to their windows by SQL. */
export interface ProjectionFacts {
  /** Charges posted since Monday 00:00 (lab time zone). */
  chargesThisWeek: Array<ChargeLine & { postedAt: Date }>;
  /** Credits sent since midnight (lab time zone). */
  creditsToday: Array<{ code: string; payerId: string }>;
  /** Scan -> charge lags of charges posted in the last 24 hours. */
  scanLags24h: PostedLag[];
  /** Case -> charge lags of charges posted in the last 24 hours. */
  caseLags24h: PostedLag[];
  /** Completed scans of the last 24 hours (by scannedAt). */
  completedScans24h: Array<{ scannerId: string; scannedAt: Date; rescan: boolean }>;
  /** QC verdicts of the last 24 hours, with the scanner of the scan when known. */
  verdicts24h: Array<{ passed: boolean; failedRules: string[]; scannerId: string | null }>;
}

/** When the windows start. */
export interface Windows {
  now: Date;
  dayStart: Date;
  weekStart: Date;
}

const HOUR_MS = 60 * 60 * 1000;

type ProjectionMetricId = Extract<
  OpsMetricId,
  | 'charges.today'
  | 'charges.week'
  | 'charges.amount.today'
  | 'charges.amount.week'
  | 'credits.today'
  | LagMetricId
  | 'scans.last-hour'
  | 'qc.failure-rate.24h'
  | 'qc.rescans.24h'
>;

type LagMetricId = Extract<OpsMetricId, `lag.${string}`>;

function lagReadings(scan: PostedLag[], caseLags: PostedLag[], now: Date): Record<LagMetricId, MetricReading> {
  const hourAgo = now.getTime() - HOUR_MS;
  const lastHour = summarizeLags(scan.filter((l) => l.postedAt.getTime() >= hourAgo).map((l) => l.lagSeconds));
  const lastDay = summarizeLags(scan.map((l) => l.lagSeconds));
  const caseDay = summarizeLags(caseLags.map((l) => l.lagSeconds));
  return {
    'lag.scan-to-charge.p50.1h': reading(lastHour.p50),
    'lag.scan-to-charge.p95.1h': reading(lastHour.p95),
    'lag.scan-to-charge.max.1h': reading(lastHour.max),
    'lag.scan-to-charge.p50.24h': reading(lastDay.p50),
    'lag.scan-to-charge.p95.24h': reading(lastDay.p95),
    'lag.scan-to-charge.max.24h': reading(lastDay.max),
    'lag.case-to-charge.p50.24h': reading(caseDay.p50),
  };
}

/** Failed / judged over the last 24 hours; by scanner the rate of that scanner, by reason the share of judged scans failing for it. */
export function qcFailureRate(verdicts: ProjectionFacts['verdicts24h']): MetricReading {
  if (verdicts.length === 0) return { value: null };
  const judged = new Map<string, number>();
  const failed = new Map<string, number>();
  const reasons = new Map<string, number>();
  for (const v of verdicts) {
    const scanner = v.scannerId ?? 'unknown';
    tally(judged, scanner);
    if (v.passed) continue;
    tally(failed, scanner);
    for (const rule of new Set(v.failedRules)) tally(reasons, rule);
  }
  const failures = verdicts.filter((v) => !v.passed).length;
  const byScanner = new Map([...judged.entries()].map(([scanner, n]) => [scanner, (failed.get(scanner) ?? 0) / n]));
  const byReason = new Map([...reasons.entries()].map(([reason, n]) => [reason, n / verdicts.length]));
  return reading(failures / verdicts.length, { scanner: breakdownOf(byScanner), reason: breakdownOf(byReason) });
}

function scanReadings(scans: ProjectionFacts['completedScans24h'], now: Date): Record<'scans.last-hour' | 'qc.rescans.24h', MetricReading> {
  const hourAgo = now.getTime() - HOUR_MS;
  const lastHour = new Map<string, number>();
  const rescans = new Map<string, number>();
  let lastHourCount = 0;
  let rescanCount = 0;
  for (const scan of scans) {
    if (scan.scannedAt.getTime() >= hourAgo) {
      lastHourCount++;
      tally(lastHour, scan.scannerId);
    }
    if (scan.rescan) {
      rescanCount++;
      tally(rescans, scan.scannerId);
    }
  }
  return {
    'scans.last-hour': reading(lastHourCount, { scanner: breakdownOf(lastHour) }),
    'qc.rescans.24h': reading(rescanCount, { scanner: breakdownOf(rescans) }),
  };
}

/** Every number of OPS_METRICS whose origin is the projection. */
export function projectionReadings(facts: ProjectionFacts, windows: Windows, schedule: FeeSchedule | null): Record<ProjectionMetricId, MetricReading> {
  const today = facts.chargesThisWeek.filter((c) => c.postedAt.getTime() >= windows.dayStart.getTime());
  const creditsByCode = new Map<string, number>();
  const creditsByPayer = new Map<string, number>();
  for (const credit of facts.creditsToday) {
    tally(creditsByCode, credit.code);
    tally(creditsByPayer, credit.payerId);
  }
  return {
    'charges.today': chargeCount(today),
    'charges.week': chargeCount(facts.chargesThisWeek),
    'charges.amount.today': chargeValue(today, schedule),
    'charges.amount.week': chargeValue(facts.chargesThisWeek, schedule),
    'credits.today': reading(facts.creditsToday.length, { code: breakdownOf(creditsByCode), payer: breakdownOf(creditsByPayer) }),
    ...lagReadings(facts.scanLags24h, facts.caseLags24h, windows.now),
    ...scanReadings(facts.completedScans24h, windows.now),
    'qc.failure-rate.24h': qcFailureRate(facts.verdicts24h),
  };
}
