import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@slidecharge/messaging';
import type { PostedLag } from '../overview/lag-statistics';
import type { ProjectionFacts } from '../overview/projection-readings';
import { PrismaService } from '../prisma.service';
import type { CaseVersionFact, ChargeFact, ChargeLags, CreditFact, Fact, QcFact, ScanFact } from './facts';

export const OPS_CONSOLE_SCHEMA = 'ops_console';
const S = `"${OPS_CONSOLE_SCHEMA}"`;

export type LagMeasureColumn = 'scan_to_charge_seconds' | 'case_to_charge_seconds';

/** A charge's timeline line as the projection knows it. */
export interface ProjectedCaseVersion {
  eventId: string;
  version: number;
  type: string;
  occurredAt: Date;
  traceId: string | null;
}

/**
 * The read model's tables (schema ops_console): facts written inside the consumer's transaction
 * (with the consumed event id), and read back cut to a time window by SQL.
 */
@Injectable()
export class ProjectionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Writes one fact (a repeat of a fact already there changes nothing) and fills the lags it completes. */
  async write(tx: SqlExecutor, fact: Fact): Promise<void> {
    switch (fact.kind) {
      case 'case':
        return this.writeCase(tx, fact);
      case 'scan':
        return this.writeScan(tx, fact);
      case 'qc':
        return this.writeQc(tx, fact);
      case 'charge':
        return this.writeCharge(tx, fact);
      case 'credit':
        return this.writeCredit(tx, fact);
    }
  }

  private async writeCase(tx: SqlExecutor, f: CaseVersionFact): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.case_version_fact (event_id, accession_number, version, type, occurred_at, trace_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      f.eventId,
      f.accessionNumber,
      f.version,
      f.type,
      f.occurredAt,
      f.traceId,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.case_first_seen (accession_number, first_occurred_at) VALUES ($1, $2)
       ON CONFLICT (accession_number) DO UPDATE SET first_occurred_at = LEAST(${S}.case_first_seen.first_occurred_at, EXCLUDED.first_occurred_at)`,
      f.accessionNumber,
      f.occurredAt,
    );
    await tx.$executeRawUnsafe(
      `UPDATE ${S}.charge_fact c SET case_to_charge_seconds = EXTRACT(EPOCH FROM c.posted_at - f.first_occurred_at)::float8
         FROM ${S}.case_first_seen f WHERE f.accession_number = c.accession_number AND c.accession_number = $1`,
      f.accessionNumber,
    );
  }

  private async writeScan(tx: SqlExecutor, f: ScanFact): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.scan_fact (scan_id, type, slide_barcode, scanner_id, scanned_at, event_id) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      f.scanId,
      f.type,
      f.slideBarcode,
      f.scannerId,
      f.scannedAt,
      f.eventId,
    );
    if (f.type !== 'scan.completed') return;
    // A rescan is a completed scan of a barcode with an earlier completed scan, whatever the arrival order.
    await tx.$executeRawUnsafe(
      `UPDATE ${S}.scan_fact s SET rescan = r.n > 1
         FROM (SELECT scan_id, type, row_number() OVER (ORDER BY scanned_at, scan_id) AS n
                 FROM ${S}.scan_fact WHERE slide_barcode = $1 AND type = 'scan.completed') r
        WHERE s.scan_id = r.scan_id AND s.type = r.type AND s.rescan IS DISTINCT FROM (r.n > 1)`,
      f.slideBarcode,
    );
    // Array containment (not `= ANY`) so the GIN index on scan_ids serves it: one row, not every charge.
    await this.fillScanLags(tx, `c.scan_ids @> ARRAY[$1]::text[]`, f.scanId);
  }

  /** Scan -> charge lag of the charges matching `where`: posted at - the latest scannedAt of their completed scans known so far. */
  private async fillScanLags(tx: SqlExecutor, where: string, value: string): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE ${S}.charge_fact t SET scan_to_charge_seconds = l.lag
         FROM (SELECT c.charge_id, EXTRACT(EPOCH FROM c.posted_at - max(s.scanned_at))::float8 AS lag
                 FROM ${S}.charge_fact c JOIN ${S}.scan_fact s ON s.scan_id = ANY(c.scan_ids) AND s.type = 'scan.completed'
                WHERE ${where} GROUP BY c.charge_id, c.posted_at) l
        WHERE t.charge_id = l.charge_id`,
      value,
    );
  }

  private async writeQc(tx: SqlExecutor, f: QcFact): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.qc_fact (scan_id, slide_barcode, passed, failed_rules, at, event_id) VALUES ($1, $2, $3, $4::text[], $5, $6) ON CONFLICT DO NOTHING`,
      f.scanId,
      f.slideBarcode,
      f.passed,
      f.failedRules,
      f.at,
      f.eventId,
    );
  }

  private async writeCharge(tx: SqlExecutor, f: ChargeFact): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.charge_fact (charge_id, code, payer_id, units, accession_number, posted_at, scan_ids, trace_id, event_id, case_to_charge_seconds)
       VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::text[], $8, $9,
               (SELECT EXTRACT(EPOCH FROM $6::timestamptz - first_occurred_at)::float8 FROM ${S}.case_first_seen WHERE accession_number = $5))
       ON CONFLICT DO NOTHING`,
      f.chargeId,
      f.code,
      f.payerId,
      f.units,
      f.accessionNumber,
      f.postedAt,
      f.scanIds,
      f.traceId,
      f.eventId,
    );
    await this.fillScanLags(tx, `c.charge_id = $1::uuid`, f.chargeId);
  }

  private async writeCredit(tx: SqlExecutor, f: CreditFact): Promise<void> {
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.credit_fact (credit_id, credit_for, code, payer_id, units, accession_number, reason, credited_at, event_id)
       VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      f.creditId,
      f.creditFor,
      f.code,
      f.payerId,
      f.units,
      f.accessionNumber,
      f.reason,
      f.creditedAt,
      f.eventId,
    );
  }

  /** The scan -> charge and case -> charge lags of one charge, as far as known. */
  async lagsOf(tx: SqlExecutor, chargeId: string): Promise<ChargeLags> {
    const rows = await tx.$queryRawUnsafe<ChargeLags[]>(
      `SELECT scan_to_charge_seconds AS "scanToCharge", case_to_charge_seconds AS "caseToCharge" FROM ${S}.charge_fact WHERE charge_id = $1::uuid`,
      chargeId,
    );
    return rows[0] ?? { scanToCharge: null, caseToCharge: null };
  }

  // ---- reads, cut to their windows here ----

  /** Every fact the projection numbers are computed from. */
  async factsFor(windows: { now: Date; dayStart: Date; weekStart: Date }): Promise<ProjectionFacts> {
    const dayAgo = new Date(windows.now.getTime() - 24 * 60 * 60 * 1000);
    const [chargesThisWeek, creditsToday, scanLags24h, caseLags24h, completedScans24h, verdicts24h] = await Promise.all([
      this.prisma.$queryRawUnsafe<Array<{ code: string; payerId: string; units: number; postedAt: Date }>>(
        `SELECT code, payer_id AS "payerId", units, posted_at AS "postedAt" FROM ${S}.charge_fact WHERE posted_at >= $1`,
        windows.weekStart,
      ),
      this.prisma.$queryRawUnsafe<Array<{ code: string; payerId: string }>>(`SELECT code, payer_id AS "payerId" FROM ${S}.credit_fact WHERE credited_at >= $1`, windows.dayStart),
      this.lagsSince('scan_to_charge_seconds', dayAgo),
      this.lagsSince('case_to_charge_seconds', dayAgo),
      this.prisma.$queryRawUnsafe<Array<{ scannerId: string; scannedAt: Date; rescan: boolean }>>(
        `SELECT scanner_id AS "scannerId", scanned_at AS "scannedAt", rescan FROM ${S}.scan_fact WHERE type = 'scan.completed' AND scanned_at >= $1`,
        dayAgo,
      ),
      this.prisma.$queryRawUnsafe<Array<{ passed: boolean; failedRules: string[]; scannerId: string | null }>>(
        `SELECT q.passed, q.failed_rules AS "failedRules", s.scanner_id AS "scannerId"
           FROM ${S}.qc_fact q LEFT JOIN ${S}.scan_fact s ON s.scan_id = q.scan_id AND s.type = 'scan.completed'
          WHERE q.at >= $1`,
        dayAgo,
      ),
    ]);
    return { chargesThisWeek, creditsToday, scanLags24h, caseLags24h, completedScans24h, verdicts24h };
  }

  /** Lags (one measure) of charges posted since `since`, where known. */
  lagsSince(column: LagMeasureColumn, since: Date): Promise<PostedLag[]> {
    return this.prisma.$queryRawUnsafe<PostedLag[]>(
      `SELECT posted_at AS "postedAt", ${column} AS "lagSeconds" FROM ${S}.charge_fact WHERE posted_at >= $1 AND ${column} IS NOT NULL ORDER BY posted_at`,
      since,
    );
  }

  /** The case events of an accession the projection saw, oldest first. */
  caseVersions(accessionNumber: string): Promise<ProjectedCaseVersion[]> {
    return this.prisma.$queryRawUnsafe<ProjectedCaseVersion[]>(
      `SELECT event_id AS "eventId", version, type, occurred_at AS "occurredAt", trace_id AS "traceId"
         FROM ${S}.case_version_fact WHERE accession_number = $1 ORDER BY occurred_at, version`,
      accessionNumber,
    );
  }

  /** Trace ids of an accession's charges, by charge id. */
  async chargeTraceIds(accessionNumber: string): Promise<Map<string, string>> {
    const rows = await this.prisma.$queryRawUnsafe<Array<{ chargeId: string; traceId: string }>>(
      `SELECT charge_id::text AS "chargeId", trace_id AS "traceId" FROM ${S}.charge_fact WHERE accession_number = $1 AND trace_id IS NOT NULL`,
      accessionNumber,
    );
    return new Map(rows.map((r) => [r.chargeId, r.traceId]));
  }
}
