import { ScanEventType } from '@slidecharge/contracts';
import { ReceiptView } from './api';
import { scanEventIdOf } from './scan-normalizer';

/** The stored columns a receipt answer is made from (a Prisma ScanEventReceipt row). */
export interface ReceiptRecord {
  eventId: string;
  scanId: string;
  slideBarcode: string;
  eventType: string;
  scannerId: string;
  occurredAt: Date;
  receivedVia: string;
  receivedAt: Date;
  payload: unknown;
  apiClientId?: string | null;
  dicom?: unknown;
  traceId?: string | null;
}

/** A receipt as support staff see it, with the id of the scan event it produced. */
export function toReceiptView(row: ReceiptRecord): ReceiptView {
  return {
    eventId: row.eventId,
    scanId: row.scanId,
    slideBarcode: row.slideBarcode,
    eventType: ScanEventType.parse(row.eventType),
    scannerId: row.scannerId,
    occurredAt: row.occurredAt.toISOString(),
    receivedVia: row.receivedVia === 'kafka' ? 'kafka' : 'http',
    receivedAt: row.receivedAt.toISOString(),
    scanEventId: scanEventIdOf(row.eventId),
    event: (row.payload ?? {}) as Record<string, unknown>,
    ...(row.apiClientId ? { apiClientId: row.apiClientId } : {}),
    ...(row.traceId ? { traceId: row.traceId } : {}),
    ...(row.dicom && typeof row.dicom === 'object' ? { dicom: row.dicom as Record<string, unknown> } : {}),
  };
}
