import { Injectable } from '@nestjs/common';
import type { SqlExecutor } from '@slidecharge/messaging';
import type { PostedLag } from '../overview/lag-statistics';
import type { ProjectionFacts } from '../overview/projection-readings';
import { PrismaService } from '../prisma.service';
import type { CaseFirstSeen, CaseVersionFact, ChargeFact, ChargeLags, CreditFact, FactBatch, LagsByCharge, QcFact, ScanFact } from './facts';

export const OPS_CONSOLE_SCHEMA = 'ops_console';
const S = `"${OPS_CONSOLE_SCHEMA}"`;

/** A jsonb array of strings (one row's list, passed in a jsonb[] next to unnest's other columns) as text[], in its order. */
const textArray = (column: string) => `ARRAY(SELECT e FROM jsonb_array_elements_text(${column}) WITH ORDINALITY AS a(e, i) ORDER BY i)`;

/**
 * A charge's scan -> charge lag in seconds: posted at - the latest scannedAt of its completed scans the
 * projection knows (NULL while it knows none). One definition for the insert and for later scans.
 */
const scanLag = (postedAt: string, scanIds: string) =>
  `(SELECT EXTRACT(EPOCH FROM ${postedAt} - max(s.scanned_at))::float8 FROM ${S}.scan_fact s WHERE s.scan_id = ANY(${scanIds}) AND s.type = 'scan.completed')`;

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

  /**
   * Writes a batch's facts (batchOf), each table once whatever the batch's size (at most ten
   * statements, none for a table the batch has nothing for), in the order that lets each lag see
   * both its sides: case facts, scans and their rescan flags, verdicts, charges with their case and
   * scan lags, the scan lags of the charges of its completed scans, credits. A fact
   * already there changes nothing. Returns the lags of the batch's charges as written, for the live feed.
   */
  async writeBatch(tx: SqlExecutor, batch: FactBatch): Promise<LagsByCharge> {
    await this.writeCaseVersions(tx, batch.caseVersions);
    await this.writeCasesFirstSeen(tx, batch.casesFirstSeen);
    await this.writeScans(tx, batch.scans);
    await this.flagRescans(tx, batch.completedBarcodes);
    await this.writeVerdicts(tx, batch.verdicts);
    await this.writeCharges(tx, batch.charges);
    // The batch's new charges got their lag when inserted; a completed scan of the batch may move the
    // lag of a charge posted before it came (its own new charges included: the same value, no write).
    await this.fillScanLags(tx, await this.chargesOfScans(tx, batch.completedScanIds));
    await this.writeCredits(tx, batch.credits);
    return this.lagsOf(tx, batch.charges.map((c) => c.chargeId));
  }

  private async writeCaseVersions(tx: SqlExecutor, facts: readonly CaseVersionFact[]): Promise<void> {
    if (facts.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.case_version_fact (event_id, accession_number, version, type, occurred_at, trace_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::text[])
       ON CONFLICT DO NOTHING`,
      facts.map((f) => f.eventId),
      facts.map((f) => f.accessionNumber),
      facts.map((f) => f.version),
      facts.map((f) => f.type),
      facts.map((f) => f.occurredAt.toISOString()),
      facts.map((f) => f.traceId),
    );
  }

  /**
   * When each case was first seen (the earlier of the stored time and the batch's), and the case ->
   * charge lag of the cases' stored charges from it, in one statement: the upsert's RETURNING gives
   * the time as stored. (The batch's own charges take it when they are inserted, after this.)
   */
  private async writeCasesFirstSeen(tx: SqlExecutor, seen: readonly CaseFirstSeen[]): Promise<void> {
    if (seen.length === 0) return;
    await tx.$executeRawUnsafe(
      `WITH seen AS (
         INSERT INTO ${S}.case_first_seen (accession_number, first_occurred_at)
         SELECT * FROM unnest($1::text[], $2::timestamptz[])
         ON CONFLICT (accession_number) DO UPDATE SET first_occurred_at = LEAST(${S}.case_first_seen.first_occurred_at, EXCLUDED.first_occurred_at)
         RETURNING accession_number, first_occurred_at)
       UPDATE ${S}.charge_fact c SET case_to_charge_seconds = EXTRACT(EPOCH FROM c.posted_at - f.first_occurred_at)::float8
         FROM seen f WHERE c.accession_number = f.accession_number
          AND c.case_to_charge_seconds IS DISTINCT FROM EXTRACT(EPOCH FROM c.posted_at - f.first_occurred_at)::float8`,
      seen.map((s) => s.accessionNumber),
      seen.map((s) => s.firstOccurredAt.toISOString()),
    );
  }

  private async writeScans(tx: SqlExecutor, facts: readonly ScanFact[]): Promise<void> {
    if (facts.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.scan_fact (scan_id, type, slide_barcode, scanner_id, scanned_at, event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
       ON CONFLICT DO NOTHING`,
      facts.map((f) => f.scanId),
      facts.map((f) => f.type),
      facts.map((f) => f.slideBarcode),
      facts.map((f) => f.scannerId),
      facts.map((f) => f.scannedAt.toISOString()),
      facts.map((f) => f.eventId),
    );
  }

  /** A rescan is a completed scan of a barcode with an earlier completed scan, whatever the arrival order. */
  private async flagRescans(tx: SqlExecutor, barcodes: readonly string[]): Promise<void> {
    if (barcodes.length === 0) return;
    await tx.$executeRawUnsafe(
      `UPDATE ${S}.scan_fact s SET rescan = r.n > 1
         FROM (SELECT scan_id, type, row_number() OVER (PARTITION BY slide_barcode ORDER BY scanned_at, scan_id) AS n
                 FROM ${S}.scan_fact WHERE slide_barcode = ANY($1::text[]) AND type = 'scan.completed') r
        WHERE s.scan_id = r.scan_id AND s.type = r.type AND s.rescan IS DISTINCT FROM (r.n > 1)`,
      barcodes,
    );
  }

  private async writeVerdicts(tx: SqlExecutor, facts: readonly QcFact[]): Promise<void> {
    if (facts.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.qc_fact (scan_id, slide_barcode, passed, failed_rules, at, event_id)
       SELECT r.scan_id, r.slide_barcode, r.passed, ${textArray('r.failed_rules')}, r.at, r.event_id
         FROM unnest($1::text[], $2::text[], $3::boolean[], $4::jsonb[], $5::timestamptz[], $6::text[]) AS r(scan_id, slide_barcode, passed, failed_rules, at, event_id)
       ON CONFLICT DO NOTHING`,
      facts.map((f) => f.scanId),
      facts.map((f) => f.slideBarcode),
      facts.map((f) => f.passed),
      facts.map((f) => JSON.stringify(f.failedRules)),
      facts.map((f) => f.at.toISOString()),
      facts.map((f) => f.eventId),
    );
  }

  /**
   * New charges, each with its case -> charge lag when the case is known (its first-seen time written
   * before) and its scan -> charge lag from the completed scans known so far (the batch's written
   * before): inserted whole, so that fillScanLags finds nothing to change on them (an UPDATE of a row
   * just inserted would write it, and each of its indexes, a second time).
   */
  private async writeCharges(tx: SqlExecutor, facts: readonly ChargeFact[]): Promise<void> {
    if (facts.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.charge_fact (charge_id, code, payer_id, units, accession_number, posted_at, scan_ids, trace_id, event_id, case_to_charge_seconds, scan_to_charge_seconds)
       SELECT r.charge_id, r.code, r.payer_id, r.units, r.accession_number, r.posted_at, r.scan_ids, r.trace_id, r.event_id,
              EXTRACT(EPOCH FROM r.posted_at - f.first_occurred_at)::float8, ${scanLag('r.posted_at', 'r.scan_ids')}
         FROM (SELECT u.charge_id, u.code, u.payer_id, u.units, u.accession_number, u.posted_at, ${textArray('u.scan_ids')} AS scan_ids, u.trace_id, u.event_id
                 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[], $7::jsonb[], $8::text[], $9::text[])
                        AS u(charge_id, code, payer_id, units, accession_number, posted_at, scan_ids, trace_id, event_id)) r
         LEFT JOIN ${S}.case_first_seen f ON f.accession_number = r.accession_number
       ON CONFLICT DO NOTHING`,
      facts.map((f) => f.chargeId),
      facts.map((f) => f.code),
      facts.map((f) => f.payerId),
      facts.map((f) => f.units),
      facts.map((f) => f.accessionNumber),
      facts.map((f) => f.postedAt.toISOString()),
      facts.map((f) => JSON.stringify(f.scanIds)),
      facts.map((f) => f.traceId),
      facts.map((f) => f.eventId),
    );
  }

  /**
   * The charges naming one of these scans: one probe of the GIN index on scan_ids per scan
   * (`scan_ids @> ARRAY[scan]`). One `scan_ids && $1` for all of them would be estimated as most of the
   * table (scan ids are unique, so Postgres has no element statistics) and read every charge.
   */
  private async chargesOfScans(tx: SqlExecutor, scanIds: readonly string[]): Promise<string[]> {
    if (scanIds.length === 0) return [];
    const rows = await tx.$queryRawUnsafe<Array<{ chargeId: string }>>(
      `SELECT DISTINCT c.charge_id::text AS "chargeId"
         FROM unnest($1::text[]) AS x(scan_id)
         CROSS JOIN LATERAL (SELECT charge_id FROM ${S}.charge_fact WHERE scan_ids @> ARRAY[x.scan_id]) c`,
      scanIds,
    );
    return rows.map((r) => r.chargeId);
  }

  /**
   * Scan -> charge lag of these charges: posted at - the latest scannedAt of their completed scans known
   * so far. Changes only the charges whose lag moved (a scan that came after its charge).
   */
  private async fillScanLags(tx: SqlExecutor, chargeIds: readonly string[]): Promise<void> {
    if (chargeIds.length === 0) return;
    await tx.$executeRawUnsafe(
      `UPDATE ${S}.charge_fact t SET scan_to_charge_seconds = l.lag
         FROM (SELECT c.charge_id, ${scanLag('c.posted_at', 'c.scan_ids')} AS lag FROM ${S}.charge_fact c WHERE c.charge_id = ANY($1::uuid[])) l
        WHERE t.charge_id = l.charge_id AND t.scan_to_charge_seconds IS DISTINCT FROM l.lag`,
      chargeIds,
    );
  }

  private async writeCredits(tx: SqlExecutor, facts: readonly CreditFact[]): Promise<void> {
    if (facts.length === 0) return;
    await tx.$executeRawUnsafe(
      `INSERT INTO ${S}.credit_fact (credit_id, credit_for, code, payer_id, units, accession_number, reason, credited_at, event_id)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::timestamptz[], $9::text[])
       ON CONFLICT DO NOTHING`,
      facts.map((f) => f.creditId),
      facts.map((f) => f.creditFor),
      facts.map((f) => f.code),
      facts.map((f) => f.payerId),
      facts.map((f) => f.units),
      facts.map((f) => f.accessionNumber),
      facts.map((f) => f.reason),
      facts.map((f) => f.creditedAt.toISOString()),
      facts.map((f) => f.eventId),
    );
  }

  /** The scan -> charge and case -> charge lags of charges, as far as known, by charge id in lower case. */
  async lagsOf(tx: SqlExecutor, chargeIds: readonly string[]): Promise<LagsByCharge> {
    if (chargeIds.length === 0) return new Map();
    const rows = await tx.$queryRawUnsafe<Array<ChargeLags & { chargeId: string }>>(
      `SELECT charge_id::text AS "chargeId", scan_to_charge_seconds AS "scanToCharge", case_to_charge_seconds AS "caseToCharge"
         FROM ${S}.charge_fact WHERE charge_id = ANY($1::uuid[])`,
      chargeIds,
    );
    return new Map(rows.map(({ chargeId, ...lags }) => [chargeId, lags]));
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
