import { z } from 'zod';
import { ScanEventType, ScannerMiddlewareEvent, SlideBarcode } from '@slidecharge/contracts';

/**
 * Request and answer shapes of the HTTP API. The zod schemas validate requests and feed the OpenAPI
 * document (openApiSchema), so the document says what the code does.
 */

export const IngestStatus = z.enum(['accepted', 'duplicate']);
export type IngestStatus = z.infer<typeof IngestStatus>;

export const IngestAnswer = z.object({
  eventId: z.string().describe('The middleware event id.'),
  status: IngestStatus.describe('accepted: a scan event was written; duplicate: this event id was already received, nothing new was written.'),
  scanId: z.string().describe('The scan attempt the event belongs to (scanId, else image.imageId, else eventId).'),
});
export type IngestAnswer = z.infer<typeof IngestAnswer>;

/** Batch body as documented; the element count limit is SCAN_BATCH_MAX (default 500). */
export const BatchRequestDoc = z.object({ events: z.array(ScannerMiddlewareEvent).min(1).max(500) });

/** Batch body as validated before the elements are looked at one by one. */
export function batchRequestSchema(max: number) {
  return z.object({
    events: z
      .array(z.unknown(), { error: 'must be an array of scanner middleware events' })
      .min(1, 'needs at least one event')
      .max(max, `at most ${max} events per batch (SCAN_BATCH_MAX)`),
  });
}

export const Issue = z.object({ path: z.string(), message: z.string() });

export const BatchItemAnswer = z.object({
  index: z.int().describe('Position of the event in the request.'),
  eventId: z.string().nullable().describe('The event id (null when a rejected element has none).'),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  scanId: z.string().optional(),
  issues: z.array(Issue).optional().describe('Why a rejected element was refused; paths are relative to the element.'),
});
export type BatchItemAnswer = z.infer<typeof BatchItemAnswer>;

export const BatchAnswer = z.object({
  results: z.array(BatchItemAnswer).describe('One result per event, in request order.'),
  accepted: z.int(),
  duplicates: z.int(),
  rejected: z.int(),
});
export type BatchAnswer = z.infer<typeof BatchAnswer>;

export const ReceiptView = z.object({
  eventId: z.string(),
  scanId: z.string(),
  slideBarcode: z.string(),
  eventType: ScanEventType,
  scannerId: z.string(),
  occurredAt: z.string().describe('When the scanner says it happened.'),
  receivedVia: z.enum(['http', 'kafka']).describe('How the first copy arrived.'),
  receivedAt: z.string(),
  scanEventId: z.uuid().describe('eventId of the scan.events.v1 envelope made from this event.'),
  event: z.record(z.string(), z.unknown()).describe('The middleware event as received (after validation and defaults); for DICOM, the event made from the instance.'),
  apiClientId: z.string().optional().describe('Id of the API key that sent the first copy over HTTP.'),
  dicom: z.record(z.string(), z.unknown()).optional().describe('For an event made from a DICOM instance: the DICOM attributes it was made from and the warnings of the mapping.'),
  traceId: z.string().optional().describe('W3C trace id (32 hex) of the request or ingress message that brought the first copy; absent for receipts older than tracing.'),
});
export type ReceiptView = z.infer<typeof ReceiptView>;

export const SlideScans = z.object({
  slideBarcode: z.string(),
  receipts: z.array(ReceiptView).describe('Newest first (by occurredAt, then receivedAt).'),
});
export type SlideScans = z.infer<typeof SlideScans>;

export const ErrorAnswer = z.object({
  error: z.string().optional(),
  message: z.union([z.string(), z.array(z.string())]),
  issues: z.array(Issue).optional(),
});

export const EventIdParam = z.string().trim().min(1).max(128);
export const BarcodeParam = SlideBarcode;
