import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { estimateCents } from '@slidecharge/billing-rules';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { PrismaService } from '../prisma.service';
import { billingMetrics, BillingGaugeSource, DELIVERY_GAUGE_STATES, HeldGroup, registerHeldValueGauge, setBillingGaugeSource, UNMATCHED_GAUGE_STATES } from './billing.metrics';
import { PayerLabels } from './payer-label';

const secondsBetween = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);

/**
 * Billing's business metrics: the charge lag and case-to-charge histograms and the posted and credit
 * counters, observed once per charge after the transaction that posted (or released, or credited) it
 * committed; the gauges (held charges and their value, unmatched scans, DFT^P03 deliveries) read at
 * each scrape, one query each. A failed read never fails the handler: it is logged and skipped.
 */
@Injectable()
export class BillingMetricsService implements BillingGaugeSource, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly payers = new PayerLabels(50);
  private readonly undo: (() => void)[] = [];
  /** The held query in flight: the two held gauges of one scrape collect at the same moment and share it. */
  private heldRead: Promise<HeldGroup[]> | undefined;

  constructor(
    @Inject(BILLING_CONFIG) private readonly config: BillingConfig,
    private readonly prisma: PrismaService,
    private readonly runtime: ServiceRuntime,
  ) {}

  onApplicationBootstrap(): void {
    this.undo.push(setBillingGaugeSource(this));
    if (this.config.SLIDECHARGE_FEE_SCHEDULE_FILE) this.undo.push(registerHeldValueGauge());
  }

  onApplicationShutdown(): void {
    for (const undo of this.undo.splice(0)) undo();
  }

  /** Observes charges that went onto the charges topic (call after the commit). */
  async chargesPosted(chargeIds: readonly string[]): Promise<void> {
    if (chargeIds.length === 0) return;
    try {
      const rows = await this.prisma.$queryRawUnsafe<{ code: string; payer_id: string; posted_at: Date; scanned_at: Date | null; first_seen_at: Date | null }[]>(
        `SELECT c.code, c.payer_id, c.posted_at,
                (SELECT max(s.scanned_at) FROM billing.scan s WHERE s.scan_id = ANY(c.scan_ids) AND s.status = 'completed') AS scanned_at,
                bc.first_seen_at
           FROM billing.charge c LEFT JOIN billing.billing_case bc ON bc.accession_number = c.accession_number
          WHERE c.charge_id = ANY($1::uuid[]) AND c.posted_at IS NOT NULL`,
        [...chargeIds],
      );
      for (const r of rows) {
        billingMetrics.chargesPosted.inc({ code: r.code, payer: this.payers.labelOf(r.payer_id) });
        if (r.scanned_at) billingMetrics.chargeLag.observe({ code: r.code }, secondsBetween(r.scanned_at, r.posted_at));
        if (r.first_seen_at) billingMetrics.caseToCharge.observe(secondsBetween(r.first_seen_at, r.posted_at));
      }
    } catch (err) {
      this.runtime.logger.warn({ err, charges: chargeIds.length }, 'could not observe posted charges in the metrics');
    }
  }

  /** Counts the cases a decision read, by where their facts came from (CaseFactsCache). */
  caseFactsRead(fromMemory: number, fromDatabase: number): void {
    if (fromMemory > 0) billingMetrics.caseFactsReads.inc({ source: 'memory' }, fromMemory);
    if (fromDatabase > 0) billingMetrics.caseFactsReads.inc({ source: 'database' }, fromDatabase);
  }

  /** Counts credits that were sent (call after the commit). */
  async creditsSent(creditIds: readonly string[]): Promise<void> {
    if (creditIds.length === 0) return;
    try {
      const rows = await this.prisma.$queryRawUnsafe<{ code: string; reason: string }[]>(
        `SELECT c.code, cr.reason FROM billing.credit cr JOIN billing.charge c ON c.charge_id = cr.credit_for WHERE cr.credit_id = ANY($1::uuid[])`,
        [...creditIds],
      );
      for (const r of rows) billingMetrics.credits.inc({ code: r.code, reason: r.reason });
    } catch (err) {
      this.runtime.logger.warn({ err, credits: creditIds.length }, 'could not count credits in the metrics');
    }
  }

  held(): Promise<HeldGroup[]> {
    this.heldRead ??= this.prisma
      .$queryRawUnsafe<{ code: string; payer_id: string; charges: number; units: number }[]>(
        `SELECT code, payer_id, count(*)::int AS charges, sum(units)::int AS units FROM billing.charge WHERE status = 'held' GROUP BY code, payer_id`,
      )
      .then((rows) => rows.map((r) => ({ code: r.code, payerId: r.payer_id, charges: r.charges, units: r.units })))
      .finally(() => {
        this.heldRead = undefined;
      });
    return this.heldRead;
  }

  /** Held value in cents by code under the fee schedule; undefined without one. A code or payer it has no amount for adds 0. */
  heldValueByCode(groups: readonly HeldGroup[]): Map<string, number> | undefined {
    const schedule = this.config.SLIDECHARGE_FEE_SCHEDULE_FILE?.schedule;
    if (!schedule) return undefined;
    const byCode = new Map<string, number>();
    for (const g of groups) byCode.set(g.code, (byCode.get(g.code) ?? 0) + (estimateCents(schedule, g.code, g.payerId, g.units) ?? 0));
    return byCode;
  }

  /** The unmatched-scans work list by state: the state billing keeps on the scan, counted on the work list's partial index. */
  async unmatched(): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRawUnsafe<{ state: string; n: number }[]>(
      `SELECT worklist_state AS state, count(*)::int AS n FROM billing.scan WHERE worklist_state IS NOT NULL GROUP BY worklist_state`,
    );
    return { ...Object.fromEntries(UNMATCHED_GAUGE_STATES.map((s) => [s, 0])), ...Object.fromEntries(rows.map((r) => [r.state, r.n])) };
  }

  async deliveries(): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRawUnsafe<{ state: string; n: number }[]>(
      `SELECT CASE WHEN state = 'failed' AND last_outcome = 'not-sendable' THEN 'not-sendable' ELSE state END AS state, count(*)::int AS n
         FROM billing.delivery WHERE state IN ('pending', 'in-flight', 'failed') GROUP BY 1`,
    );
    return { ...Object.fromEntries(DELIVERY_GAUGE_STATES.map((s) => [s, 0])), ...Object.fromEntries(rows.map((r) => [r.state, r.n])) };
  }
}
