import { Injectable } from '@nestjs/common';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { Prisma } from '../generated/prisma/client';
import { quoteSchema, SqlExecutor } from '@slidecharge/messaging';
import { PG_SCHEMA } from '../config';
import { PrismaService } from '../prisma.service';
import { ReceivedVia, scanIdOf } from './scan-normalizer';

export type ReceiptRow = Prisma.ScanEventReceiptGetPayload<object>;

/** The first copy of an event id, as a repeat is compared with and answered from. */
export type FirstCopy = Pick<ReceiptRow, 'eventId' | 'scanId' | 'receivedVia' | 'receivedAt' | 'payload'>;

/** An event to keep a receipt of, with the W3C trace id it came under. */
export interface NewReceipt {
  event: ScannerMiddlewareEvent;
  traceId: string | null;
}

/** Where the events of one call came from: the API client that sent them, and for DICOM the attributes. */
export interface ReceiptOrigin {
  apiClientId?: string | undefined;
  dicom?: Record<string, unknown> | undefined;
}

const RECEIPT = `${quoteSchema(PG_SCHEMA)}.scan_event_receipt`;

/** Reads and writes scanner.scan_event_receipt: one row per middleware event id. */
@Injectable()
export class ReceiptRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Inserts the receipts of events not received before, in one multi-row statement (INSERT ... SELECT
   * FROM unnest ... ON CONFLICT DO NOTHING), and returns the event ids it inserted: the others are
   * repeats. Two copies arriving at once are serialized by the primary key: the second waits for the
   * first transaction and then finds the row. The events' ids must be distinct. Each receipt keeps the
   * trace its event came under (the request's, or its ingress message's).
   */
  async insertNew(tx: SqlExecutor, arrivals: readonly NewReceipt[], receivedVia: ReceivedVia, origin: ReceiptOrigin = {}): Promise<Set<string>> {
    if (arrivals.length === 0) return new Set();
    const rows = await tx.$queryRawUnsafe<{ event_id: string }[]>(
      `INSERT INTO ${RECEIPT} (event_id, scan_id, slide_barcode, event_type, scanner_id, occurred_at, payload, trace_id, received_via, api_client_id, dicom)
       SELECT r.event_id, r.scan_id, r.slide_barcode, r.event_type, r.scanner_id, r.occurred_at, r.payload, r.trace_id, $9, $10, $11::jsonb
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[], $8::text[])
              AS r(event_id, scan_id, slide_barcode, event_type, scanner_id, occurred_at, payload, trace_id)
       ON CONFLICT DO NOTHING
       RETURNING event_id`,
      arrivals.map((a) => a.event.eventId),
      arrivals.map((a) => scanIdOf(a.event)),
      arrivals.map((a) => a.event.slideBarcode),
      arrivals.map((a) => a.event.eventType),
      arrivals.map((a) => a.event.scannerId),
      arrivals.map((a) => new Date(a.event.occurredAt).toISOString()),
      arrivals.map((a) => JSON.stringify(a.event)),
      arrivals.map((a) => a.traceId),
      receivedVia,
      origin.apiClientId ?? null,
      origin.dicom ? JSON.stringify(origin.dicom) : null,
    );
    return new Set(rows.map((r) => r.event_id));
  }

  /**
   * The scan ids of the completed scans received for these slides, leaving out the given events (the
   * ones being written now), by slide barcode: one statement.
   */
  async completedScans(tx: SqlExecutor, slideBarcodes: readonly string[], except: readonly string[]): Promise<Map<string, Set<string>>> {
    const bySlide = new Map<string, Set<string>>();
    if (slideBarcodes.length === 0) return bySlide;
    const rows = await tx.$queryRawUnsafe<{ slide_barcode: string; scan_id: string }[]>(
      `SELECT DISTINCT slide_barcode, scan_id FROM ${RECEIPT}
        WHERE slide_barcode = ANY($1::text[]) AND event_type = 'scan.completed' AND event_id <> ALL($2::text[])`,
      [...new Set(slideBarcodes)],
      [...except],
    );
    for (const r of rows) bySlide.set(r.slide_barcode, (bySlide.get(r.slide_barcode) ?? new Set()).add(r.scan_id));
    return bySlide;
  }

  /** What a repeat is answered with: the first copy's receipt, of these event ids, in one statement. */
  async firstCopies(tx: SqlExecutor, eventIds: readonly string[]): Promise<FirstCopy[]> {
    if (eventIds.length === 0) return [];
    return tx.$queryRawUnsafe<FirstCopy[]>(
      `SELECT event_id AS "eventId", scan_id AS "scanId", received_via AS "receivedVia", received_at AS "receivedAt", payload
         FROM ${RECEIPT} WHERE event_id = ANY($1::text[])`,
      [...new Set(eventIds)],
    );
  }

  find(eventId: string): Promise<ReceiptRow | null> {
    return this.prisma.scanEventReceipt.findUnique({ where: { eventId } });
  }

  /** Every receipt for a slide, newest first. */
  forSlide(slideBarcode: string): Promise<ReceiptRow[]> {
    return this.prisma.scanEventReceipt.findMany({
      where: { slideBarcode },
      orderBy: [{ occurredAt: 'desc' }, { receivedAt: 'desc' }, { eventId: 'asc' }],
    });
  }
}
