import { Injectable } from '@nestjs/common';
import { QcVerdict } from '@slidecharge/contracts';
import type { SqlExecutor } from '@slidecharge/messaging';
import { Prisma, QcResult } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { QcResultView } from './qc.dto';
import { Judgement, ResultCursor } from './verdict';

export function toView(row: QcResult): QcResultView {
  return {
    scanId: row.scanId,
    slideBarcode: row.slideBarcode,
    scanEventId: row.scanEventId,
    passed: row.passed,
    reasons: row.reasons as string[],
    checks: row.checks as QcVerdict['checks'],
    rulesVersion: row.rulesVersion,
    evaluatedAt: row.evaluatedAt.toISOString(),
    ...(row.traceId ? { traceId: row.traceId } : {}),
  };
}

@Injectable()
export class QcRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores the verdicts, in one statement (INSERT ... SELECT FROM unnest ... ON CONFLICT DO NOTHING), of
   * the scans that have none yet; each with the trace it was judged in. Returns the scan event ids whose
   * verdict was stored: for the others the scan already had one (the same scan reported again under
   * another event id, or twice in the batch: the first is kept) and the caller publishes nothing.
   */
  async insertAllIfNew(tx: SqlExecutor, judged: readonly { judgement: Judgement; traceId: string | null }[]): Promise<Set<string>> {
    const seen = new Set<string>();
    const firsts = judged.filter(({ judgement }) => !seen.has(judgement.verdict.scanId) && seen.add(judgement.verdict.scanId));
    if (firsts.length === 0) return new Set();
    const rows = await tx.$queryRawUnsafe<{ scan_event_id: string }[]>(
      `INSERT INTO qc.qc_result (scan_id, slide_barcode, scan_event_id, passed, reasons, checks, rules_version, evaluated_at, trace_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[], $6::jsonb[], $7::text[], $8::timestamptz[], $9::text[])
       ON CONFLICT DO NOTHING
       RETURNING scan_event_id`,
      firsts.map((j) => j.judgement.verdict.scanId),
      firsts.map((j) => j.judgement.verdict.slideBarcode),
      firsts.map((j) => j.judgement.verdict.scanEventId),
      firsts.map((j) => j.judgement.passed),
      firsts.map((j) => JSON.stringify(j.judgement.verdict.reasons)),
      firsts.map((j) => JSON.stringify(j.judgement.verdict.checks)),
      firsts.map((j) => j.judgement.verdict.rulesVersion),
      firsts.map((j) => j.judgement.evaluatedAt.toISOString()),
      firsts.map((j) => j.traceId),
    );
    return new Set(rows.map((r) => r.scan_event_id));
  }

  async findByScanId(scanId: string): Promise<QcResult | null> {
    return this.prisma.qcResult.findUnique({ where: { scanId } });
  }

  /** One page, newest first (ties broken by scan id), plus whether another page follows. */
  async list(filter: { passed?: boolean | undefined; limit: number; after?: ResultCursor | undefined }): Promise<{ rows: QcResult[]; more: boolean }> {
    const where: Prisma.QcResultWhereInput[] = [];
    if (filter.passed !== undefined) where.push({ passed: filter.passed });
    if (filter.after) {
      // The bound on evaluatedAt alone lets the index scan start at the cursor (docs/benchmarks.md, History).
      where.push({ evaluatedAt: { lte: filter.after.evaluatedAt } });
      where.push({ OR: [{ evaluatedAt: { lt: filter.after.evaluatedAt } }, { scanId: { lt: filter.after.scanId } }] });
    }
    const rows = await this.prisma.qcResult.findMany({
      where: { AND: where },
      orderBy: [{ evaluatedAt: 'desc' }, { scanId: 'desc' }],
      take: filter.limit + 1,
    });
    return { rows: rows.slice(0, filter.limit), more: rows.length > filter.limit };
  }

  async listBySlide(slideBarcode: string): Promise<QcResult[]> {
    return this.prisma.qcResult.findMany({
      where: { slideBarcode },
      orderBy: [{ evaluatedAt: 'desc' }, { scanId: 'desc' }],
    });
  }
}
