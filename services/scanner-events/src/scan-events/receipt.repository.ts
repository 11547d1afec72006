import { Injectable } from '@nestjs/common';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { Prisma } from '../generated/prisma/client';
import { currentTraceId } from '@slidecharge/messaging';
import { PrismaService } from '../prisma.service';
import { ReceivedVia, scanIdOf } from './scan-normalizer';

export type ReceiptRow = Prisma.ScanEventReceiptGetPayload<object>;
export type Db = Prisma.TransactionClient | PrismaService;

/** Reads and writes scanner.scan_event_receipt: one row per middleware event id. */
@Injectable()
export class ReceiptRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts the receipts of events not received before, in one multi-row statement (INSERT ... ON
   * CONFLICT DO NOTHING), and returns the event ids it inserted: the others are repeats. Two copies
   * arriving at once are serialized by the primary key: the second waits for the first transaction
   * and then finds the row. The events' ids must be distinct.
   */
  async insertNew(
    tx: Db,
    events: readonly ScannerMiddlewareEvent[],
    receivedVia: ReceivedVia,
    origin: { apiClientId?: string | undefined; dicom?: Record<string, unknown> | undefined } = {},
  ): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    const traceId = currentTraceId() ?? null;
    const inserted = await tx.scanEventReceipt.createManyAndReturn({
      data: events.map((event) => ({
        eventId: event.eventId,
        scanId: scanIdOf(event),
        slideBarcode: event.slideBarcode,
        eventType: event.eventType,
        scannerId: event.scannerId,
        occurredAt: new Date(event.occurredAt),
        receivedVia,
        payload: event as unknown as Prisma.InputJsonObject,
        apiClientId: origin.apiClientId ?? null,
        traceId,
        ...(origin.dicom ? { dicom: origin.dicom as Prisma.InputJsonObject } : {}),
      })),
      skipDuplicates: true,
      select: { eventId: true },
    });
    return new Set(inserted.map((r) => r.eventId));
  }

  /**
   * The scan ids of the completed scans received for these slides, leaving out the given events (the
   * ones being written now), by slide barcode.
   */
  async completedScans(tx: Db, slideBarcodes: readonly string[], except: readonly string[]): Promise<Map<string, Set<string>>> {
    const bySlide = new Map<string, Set<string>>();
    if (slideBarcodes.length === 0) return bySlide;
    const rows = await tx.scanEventReceipt.findMany({
      where: { slideBarcode: { in: [...new Set(slideBarcodes)] }, eventType: 'scan.completed', eventId: { notIn: [...except] } },
      select: { slideBarcode: true, scanId: true },
      distinct: ['slideBarcode', 'scanId'],
    });
    for (const r of rows) bySlide.set(r.slideBarcode, (bySlide.get(r.slideBarcode) ?? new Set()).add(r.scanId));
    return bySlide;
  }

  /** The receipts of these event ids. */
  findMany(eventIds: readonly string[], tx: Db = this.prisma): Promise<ReceiptRow[]> {
    if (eventIds.length === 0) return Promise.resolve([]);
    return tx.scanEventReceipt.findMany({ where: { eventId: { in: [...new Set(eventIds)] } } });
  }

  find(eventId: string, tx: Db = this.prisma): Promise<ReceiptRow | null> {
    return tx.scanEventReceipt.findUnique({ where: { eventId } });
  }

  /** Every receipt for a slide, newest first. */
  forSlide(slideBarcode: string): Promise<ReceiptRow[]> {
    return this.prisma.scanEventReceipt.findMany({
      where: { slideBarcode },
      orderBy: [{ occurredAt: 'desc' }, { receivedAt: 'desc' }, { eventId: 'asc' }],
    });
  }
}
