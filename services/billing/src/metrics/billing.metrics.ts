import { metricsRegistry } from '@slidecharge/messaging';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Seconds to a day: a charge normally follows its scan within seconds; a held one waits for a person. */
export const CHARGE_LAG_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400];
/** Minutes to a week: mostly the time the slides waited to be scanned. */
export const CASE_TO_CHARGE_BUCKETS = [60, 300, 900, 3600, 14400, 43200, 86400, 172800, 345600, 604800];

/** The states of slidecharge_deliveries (not-sendable: failed because the case lacks what HL7 v2.5.1 requires). */
export const DELIVERY_GAUGE_STATES = ['pending', 'in-flight', 'failed', 'not-sendable'] as const;
/** The states of slidecharge_unmatched_scans (as GET /unmatched-scans). */
export const UNMATCHED_GAUGE_STATES = ['open', 'matched', 'dismissed'] as const;

/** Held charges by code and payer (units summed): what the held gauges are computed from. */
export interface HeldGroup {
  code: string;
  payerId: string;
  charges: number;
  units: number;
}

/** What the gauges read from the database at a scrape (BillingMetricsService). */
export interface BillingGaugeSource {
  held(): Promise<HeldGroup[]>;
  heldValueByCode(groups: readonly HeldGroup[]): Map<string, number> | undefined;
  unmatched(): Promise<Record<string, number>>;
  deliveries(): Promise<Record<string, number>>;
}

let source: BillingGaugeSource | undefined;

/** Makes the gauges read from `next`; returns the function that stops it. */
export function setBillingGaugeSource(next: BillingGaugeSource): () => void {
  source = next;
  return () => {
    if (source === next) source = undefined;
  };
}

/** Sets one gauge value per key (after a reset, so a code that left is gone), or keeps the last values when the read fails. */
async function refresh(gauge: Gauge<string>, label: string, read: (s: BillingGaugeSource) => Promise<Record<string, number> | Map<string, number> | undefined>) {
  if (!source) return;
  try {
    const values = await read(source);
    if (!values) return;
    gauge.reset();
    for (const [key, n] of values instanceof Map ? values : Object.entries(values)) gauge.set({ [label]: key }, n);
  } catch {
    // The database is away (shutting down, or down: readiness says so); keep the last values.
  }
}

const countByCode = (groups: readonly HeldGroup[]) => {
  const byCode = new Map<string, number>();
  for (const g of groups) byCode.set(g.code, (byCode.get(g.code) ?? 0) + g.charges);
  return byCode;
};

/** The business metrics of billing, on its /metrics. Labels never carry an accession, patient or barcode. */
export const billingMetrics = {
  chargeLag: new Histogram({
    name: 'slidecharge_charge_lag_seconds',
    help: "Scan completed (the latest scannedAt among the charge's scans) to charge posted (postedAt; a held charge: its release), once per posted charge",
    labelNames: ['code'],
    buckets: CHARGE_LAG_BUCKETS,
    registers: [metricsRegistry],
  }),
  caseToCharge: new Histogram({
    name: 'slidecharge_case_to_charge_seconds',
    help: "The case's first version reaching billing to the charge posted, once per posted charge",
    buckets: CASE_TO_CHARGE_BUCKETS,
    registers: [metricsRegistry],
  }),
  chargesPosted: new Counter({
    name: 'slidecharge_charges_posted_total',
    help: 'Charges posted to billing.charges.v1 (created billable, or released from review), by code and payer (the first 50 payers seen by name, then other)',
    labelNames: ['code', 'payer'],
    registers: [metricsRegistry],
  }),
  caseFactsReads: new Counter({
    name: 'slidecharge_billing_case_facts_reads_total',
    help: "Cases read for a decision, by where their facts came from: memory (a large case this process decided at the revision before) or database",
    labelNames: ['source'],
    registers: [metricsRegistry],
  }),
  credits: new Counter({
    name: 'slidecharge_credits_total',
    help: 'Credits (reversals of posted charges) sent, by code of the credited charge and reason',
    labelNames: ['code', 'reason'],
    registers: [metricsRegistry],
  }),
  held: new Gauge({
    name: 'slidecharge_charges_held',
    help: 'Charges in the review queue now (held for a person to release or void), by code',
    labelNames: ['code'],
    registers: [metricsRegistry],
    async collect() {
      await refresh(this, 'code', async (s) => countByCode(await s.held()));
    },
  }),
  unmatchedScans: new Gauge({
    name: 'slidecharge_unmatched_scans',
    help: 'Completed scans on the unmatched-scans work list, by state (open: no case has the slide; matched: a case took it later; dismissed)',
    labelNames: ['state'],
    registers: [metricsRegistry],
    async collect() {
      await refresh(this, 'state', (s) => s.unmatched());
    },
  }),
  deliveries: new Gauge({
    name: 'slidecharge_deliveries',
    help: 'DFT^P03 deliveries still open, by state (pending, in-flight, failed: waits for a retry by a person, not-sendable: failed because the case lacks a required field)',
    labelNames: ['state'],
    registers: [metricsRegistry],
    async collect() {
      await refresh(this, 'state', (s) => s.deliveries());
    },
  }),
};

export const HELD_VALUE_METRIC = 'slidecharge_charges_held_value_cents';

/**
 * The held-value gauge exists only while a fee schedule is configured: registered by the service that
 * has one, removed when it stops (so a scrape without a schedule shows no such series at all).
 */
export function registerHeldValueGauge(): () => void {
  metricsRegistry.removeSingleMetric(HELD_VALUE_METRIC);
  const gauge = new Gauge({
    name: HELD_VALUE_METRIC,
    help: 'Held charges x the fee schedule (SLIDECHARGE_FEE_SCHEDULE_FILE), in cents, by code: revenue at risk until someone releases them; codes the schedule has no amount for count 0',
    labelNames: ['code'],
    registers: [metricsRegistry],
    async collect() {
      await refresh(this, 'code', async (s) => s.heldValueByCode(await s.held()));
    },
  });
  return () => {
    if (metricsRegistry.getSingleMetric(HELD_VALUE_METRIC) === gauge) metricsRegistry.removeSingleMetric(HELD_VALUE_METRIC);
  };
}
