import { Injectable } from '@nestjs/common';
import { QcVerdict } from '@slidecharge/contracts';
import { currentTraceId } from '@slidecharge/messaging';
import { Prisma, QcResult } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { QcResultView } from './qc.dto';
import { Judgement, ResultCursor } from './verdict';

type Tx = Prisma.TransactionClient;

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
   * Stores a verdict unless the scan already has one. Returns false when it had (the same scan
   * reported again under another event id): the caller then publishes nothing.
   */
  async insertIfNew(tx: Tx, judgement: Judgement): Promise<boolean> {
    const { verdict } = judgement;
    const { count } = await tx.qcResult.createMany({
      data: [
        {
          scanId: verdict.scanId,
          slideBarcode: verdict.slideBarcode,
          scanEventId: verdict.scanEventId,
          passed: judgement.passed,
          reasons: verdict.reasons,
          checks: verdict.checks as Prisma.InputJsonValue,
          rulesVersion: verdict.rulesVersion,
          evaluatedAt: judgement.evaluatedAt,
          traceId: currentTraceId() ?? null,
        },
      ],
      skipDuplicates: true,
    });
    return count === 1;
  }

  async findByScanId(scanId: string): Promise<QcResult | null> {
    return this.prisma.qcResult.findUnique({ where: { scanId } });
  }

  /** One page, newest first (ties broken by scan id), plus whether another page follows. */
  async list(filter: { passed?: boolean | undefined; limit: number; after?: ResultCursor | undefined }): Promise<{ rows: QcResult[]; more: boolean }> {
    const where: Prisma.QcResultWhereInput[] = [];
    if (filter.passed !== undefined) where.push({ passed: filter.passed });
    if (filter.after) {
      where.push({
        OR: [
          { evaluatedAt: { lt: filter.after.evaluatedAt } },
          { evaluatedAt: filter.after.evaluatedAt, scanId: { lt: filter.after.scanId } },
        ],
      });
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
