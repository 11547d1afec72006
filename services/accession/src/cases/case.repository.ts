import { Injectable } from '@nestjs/common';
import { CaseSnapshot } from '@slidecharge/contracts';
import { currentTraceId } from '@slidecharge/messaging';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { BarcodeOwner } from './case.errors';
import { CaseStatus, dateToDb, flagColumns, PageCursor, patientColumns, snapshotFromRows } from './case.model';
import { SlideMove } from './slide-move.decision';

/** The Postgres schema the accession service owns (tables case, specimen, slide, outbox). */
export const ACCESSION_SCHEMA = 'accession';

/** A Prisma client or interactive-transaction client. */
export type Db = Prisma.TransactionClient;

const withSlides = { specimens: { include: { slides: true } } } as const;

export interface ListedCase {
  snapshot: CaseSnapshot;
  createdAt: Date;
}

/** Reads and writes cases. Every write method expects to run inside the caller's transaction. */
@Injectable()
export class CaseRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Runs `fn` in one interactive transaction (state change and outbox together). */
  transaction<R>(fn: (tx: Db) => Promise<R>): Promise<R> {
    return this.prisma.$transaction((tx) => fn(tx), { timeout: 30_000, maxWait: 10_000 });
  }

  find(accessionNumber: string, db: Db = this.prisma): Promise<CaseSnapshot | undefined> {
    return db.case.findUnique({ where: { accessionNumber }, include: withSlides }).then((row) => (row ? snapshotFromRows(row) : undefined));
  }

  /** The case with the trace id of the request or message that wrote its current version. */
  findWithTrace(accessionNumber: string): Promise<{ snapshot: CaseSnapshot; traceId: string | null } | undefined> {
    return this.prisma.case
      .findUnique({ where: { accessionNumber }, include: withSlides })
      .then((row) => (row ? { snapshot: snapshotFromRows(row), traceId: row.traceId } : undefined));
  }

  /**
   * Locks the case row (SELECT ... FOR UPDATE) until the transaction ends, then reads the case: a
   * second writer of the same case waits here and then sees the first one's version.
   */
  async lockAndFind(tx: Db, accessionNumber: string): Promise<CaseSnapshot | undefined> {
    const locked = await tx.$queryRaw<{ version: number }[]>`
      SELECT version FROM "accession"."case" WHERE accession_number = ${accessionNumber} FOR UPDATE`;
    return locked.length ? this.find(accessionNumber, tx) : undefined;
  }

  /** Which of `barcodes` belong to an active case other than `accessionNumber`. */
  async barcodeOwners(tx: Db, accessionNumber: string, barcodes: string[]): Promise<BarcodeOwner[]> {
    if (barcodes.length === 0) return [];
    return tx.slide.findMany({
      where: { barcode: { in: barcodes }, caseActive: true, accessionNumber: { not: accessionNumber } },
      select: { barcode: true, accessionNumber: true },
      orderBy: { barcode: 'asc' },
    });
  }

  async insert(tx: Db, snapshot: CaseSnapshot): Promise<void> {
    await tx.case.create({ data: { accessionNumber: snapshot.accessionNumber, ...caseColumns(snapshot) } });
    await this.insertChildren(tx, snapshot);
  }

  /** Replaces the case's details and version; `expectedVersion` guards against a lost update. */
  async replace(tx: Db, snapshot: CaseSnapshot, expectedVersion: number): Promise<void> {
    await this.updateCase(tx, snapshot, expectedVersion);
    // Slides go with their specimens (ON DELETE CASCADE).
    await tx.specimen.deleteMany({ where: { accessionNumber: snapshot.accessionNumber } });
    await this.insertChildren(tx, snapshot);
  }

  /** Marks the case cancelled; its slides stay with it but no longer hold their barcodes. */
  async cancel(tx: Db, snapshot: CaseSnapshot, expectedVersion: number): Promise<void> {
    await this.updateCase(tx, snapshot, expectedVersion);
    await tx.slide.updateMany({ where: { accessionNumber: snapshot.accessionNumber }, data: { caseActive: false } });
  }

  /** Keeps the record of slides that changed case, with who asked for it. */
  async recordMoves(tx: Db, moves: readonly SlideMove[], actor: string): Promise<void> {
    if (moves.length) await tx.slideMove.createMany({ data: moves.map((m) => ({ ...m, actor })) });
  }

  /** Newest first (created_at, then accession number, descending), after `cursor` when given. */
  async list(options: { status?: CaseStatus; limit: number; cursor?: PageCursor }): Promise<ListedCase[]> {
    const { status, limit, cursor } = options;
    const rows = await this.prisma.case.findMany({
      where: {
        ...(status ? { status } : {}),
        ...(cursor
          ? {
              // The bound on createdAt alone lets the index scan start at the cursor (docs/benchmarks.md, History).
              createdAt: { lte: cursor.createdAt },
              OR: [{ createdAt: { lt: cursor.createdAt } }, { accessionNumber: { lt: cursor.accessionNumber } }],
            }
          : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { accessionNumber: 'desc' }],
      take: limit,
      include: withSlides,
    });
    return rows.map((row) => ({ snapshot: snapshotFromRows(row), createdAt: row.createdAt }));
  }

  private async updateCase(tx: Db, snapshot: CaseSnapshot, expectedVersion: number): Promise<void> {
    const { count } = await tx.case.updateMany({
      where: { accessionNumber: snapshot.accessionNumber, version: expectedVersion },
      data: { ...caseColumns(snapshot), updatedAt: new Date() },
    });
    if (count !== 1) {
      // Cannot happen while the row is locked; refuse rather than write a version twice.
      throw new Error(`case ${snapshot.accessionNumber} is no longer at version ${expectedVersion}`);
    }
  }

  private async insertChildren(tx: Db, snapshot: CaseSnapshot): Promise<void> {
    const accessionNumber = snapshot.accessionNumber;
    await tx.specimen.createMany({
      data: snapshot.specimens.map((s) => ({
        accessionNumber,
        specimenId: s.specimenId,
        description: s.description ?? null,
        retrievedFromStorageDate: s.retrievedFromStorageDate ? dateToDb(s.retrievedFromStorageDate) : null,
        primaryCpt: s.primaryCpt,
        units: s.units,
        modifiers: s.modifiers ?? [],
        diagnosisPointers: s.diagnosisPointers ?? [],
      })),
    });
    if (snapshot.slides.length) {
      await tx.slide.createMany({
        data: snapshot.slides.map((s) => ({
          accessionNumber,
          barcode: s.barcode,
          specimenId: s.specimenId,
          block: s.block ?? null,
          stain: s.stain ?? null,
          caseActive: snapshot.status === 'active',
        })),
      });
    }
  }
}

function caseColumns(snapshot: CaseSnapshot) {
  return {
    status: snapshot.status,
    version: snapshot.version,
    patientId: snapshot.patientId,
    ...patientColumns(snapshot.patient),
    payerId: snapshot.payer.payerId,
    payerName: snapshot.payer.name ?? null,
    payerPlan: snapshot.payer.plan ?? null,
    collectionDate: dateToDb(snapshot.collectionDate),
    orderingProvider: snapshot.orderingProvider ?? null,
    orderingProviderNpi: snapshot.orderingProviderNpi ?? null,
    diagnoses: snapshot.diagnoses,
    ...flagColumns(snapshot.flags),
    cancelReason: snapshot.cancelReason ?? null,
    traceId: currentTraceId() ?? null,
  };
}
