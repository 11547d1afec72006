import { Injectable } from '@nestjs/common';
import { PrismaService } from '../prisma.service';
import { ResultCursor } from './verdict';

export interface RescanRow {
  slide_barcode: string;
  scan_id: string;
  reasons: string[];
  rules_version: string;
  evaluated_at: Date;
  failed_attempts: number;
  first_failed_at: Date;
}

/**
 * The rescan work list in SQL: failed verdicts that are the latest verdict of their slide, one per
 * slide. A slide rescanned and passed leaves the list as soon as the pass is recorded; rescanned and
 * failed again, it stays with the newer failure. Walks the (passed, evaluated_at desc, scan_id desc)
 * index and checks each candidate against the (slide_barcode, evaluated_at desc) index.
 */
@Injectable()
export class RescansRepository {
  constructor(private readonly prisma: PrismaService) {}

  async page(limit: number, after: ResultCursor | undefined): Promise<{ rows: RescanRow[]; more: boolean }> {
    const params: unknown[] = [limit + 1];
    let cursorSql = '';
    if (after) {
      params.push(after.evaluatedAt.toISOString(), after.scanId);
      cursorSql = `AND (f.evaluated_at, f.scan_id) < ($2::timestamptz, $3)`;
    }
    const rows = await this.prisma.$queryRawUnsafe<RescanRow[]>(
      `SELECT f.slide_barcode, f.scan_id, f.reasons, f.rules_version, f.evaluated_at, since.failed_attempts, since.first_failed_at
         FROM qc.qc_result f
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS failed_attempts, min(r.evaluated_at) AS first_failed_at
             FROM qc.qc_result r
            WHERE r.slide_barcode = f.slide_barcode AND NOT r.passed
              AND r.evaluated_at > COALESCE((SELECT max(p.evaluated_at) FROM qc.qc_result p WHERE p.slide_barcode = f.slide_barcode AND p.passed), '-infinity')
         ) since
        WHERE NOT f.passed
          AND NOT EXISTS (SELECT 1 FROM qc.qc_result n
                           WHERE n.slide_barcode = f.slide_barcode AND (n.evaluated_at, n.scan_id) > (f.evaluated_at, f.scan_id))
          ${cursorSql}
        ORDER BY f.evaluated_at DESC, f.scan_id DESC
        LIMIT $1`,
      ...params,
    );
    return { rows: rows.slice(0, limit), more: rows.length > limit };
  }
}
