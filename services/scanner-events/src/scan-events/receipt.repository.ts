import { Injectable } from '@nestjs/common';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { Prisma } from '../generated/prisma/client';
import { currentTraceId } from '@slidecharge/messaging';
import { PrismaService } from '../prisma.service';
import { ReceivedVia, scanIdOf } from './scan-normalizer';

export type ReceiptRow = Prisma.ScanEventReceiptGetPayload<object>;
type Db = Prisma.TransactionClient | PrismaService;

/** Reads and writes scanner.scan_event_receipt: one row per middleware event id. */
@Injectable()
export class ReceiptRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts the receipt unless the event id is already there (INSERT ... ON CONFLICT DO NOTHING).
   * Returns false for a repeat. Two copies arriving at once are serialized by the primary key: the
   * second waits for the first transaction and then finds the row.
   */
  async insertIfNew(
    tx: Db,
    event: ScannerMiddlewareEvent,
    receivedVia: ReceivedVia,
    origin: { apiClientId?: string | undefined; dicom?: Record<string, unknown> | undefined } = {},
  ): Promise<boolean> {
    const { count } = await tx.scanEventReceipt.createMany({
      data: [
        {
          eventId: event.eventId,
          scanId: scanIdOf(event),
          slideBarcode: event.slideBarcode,
          eventType: event.eventType,
          scannerId: event.scannerId,
          occurredAt: new Date(event.occurredAt),
          receivedVia,
          payload: event as unknown as Prisma.InputJsonObject,
          apiClientId: origin.apiClientId ?? null,
          traceId: currentTraceId() ?? null,
          ...(origin.dicom ? { dicom: origin.dicom as Prisma.InputJsonObject } : {}),
        },
      ],
      skipDuplicates: true,
    });
    return count === 1;
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
