import { z } from 'zod';
import { envelope } from './envelope';
import { AccessionNumber, IsoDateTime, ScanPurpose, SlideBarcode } from './primitives';

export const ScanEventType = z.enum(['scan.started', 'scan.completed', 'scan.failed']);
export type ScanEventType = z.infer<typeof ScanEventType>;

/** Image facts that scanners report with a completed scan; QC rules read these. */
export const ScanImage = z.object({
  imageId: z.string().min(1).max(128).optional(),
  imageUri: z.string().min(1).max(1024).optional(),
  fileSizeBytes: z.int().min(0).optional(),
  focusScore: z.number().min(0).max(1).optional(),
  tissueCoverage: z.number().min(0).max(1).optional(),
  barcodeRead: z.boolean().optional(),
  stitchingErrors: z.int().min(0).optional(),
  magnification: z.number().positive().max(100).optional(),
});
export type ScanImage = z.infer<typeof ScanImage>;

/**
 * What scanner middleware sends, over HTTP (POST /scan-events) or by producing to the ingress topic.
 * `eventId` is the middleware's own id for this event: a retry carries the same id and is dropped.
 * `scanId` identifies one scan attempt of a slide (started/completed/failed share it); when absent,
 * the image id or the event id stands in.
 */
export const ScannerMiddlewareEvent = z
  .object({
    eventId: z.string().trim().min(1).max(128),
    eventType: ScanEventType,
    occurredAt: IsoDateTime,
    slideBarcode: SlideBarcode,
    scannerId: z.string().trim().min(1).max(64),
    scanId: z.string().trim().min(1).max(128).optional(),
    purpose: ScanPurpose.default('diagnostic'),
    image: ScanImage.optional(),
    failureReason: z.string().max(500).optional(),
    /**
     * The case the sender says the slide belongs to (DICOM Accession Number (0008,0050)). Optional and
     * informative: billing matches scans to cases by slide barcode.
     */
    accessionNumber: AccessionNumber.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.eventType === 'scan.failed' && !e.failureReason) {
      ctx.addIssue({ code: 'custom', path: ['failureReason'], message: 'a scan.failed event needs a failureReason' });
    }
  });
export type ScannerMiddlewareEvent = z.infer<typeof ScannerMiddlewareEvent>;

/** Normalized scan event, published by scanner-events after validation and de-duplication. */
export const ScanFacts = z.object({
  scanId: z.string().min(1),
  slideBarcode: SlideBarcode,
  scannerId: z.string().min(1),
  scannedAt: IsoDateTime,
  purpose: ScanPurpose,
  receivedVia: z.enum(['http', 'kafka']),
  sourceEventId: z.string().min(1),
  image: ScanImage.optional(),
  failureReason: z.string().optional(),
  /** The accession number the sender gave (DICOM Accession Number), when it gave one. */
  accessionNumber: AccessionNumber.optional(),
});
export type ScanFacts = z.infer<typeof ScanFacts>;

export const ScanStarted = envelope('scan.started', ScanFacts);
export const ScanCompleted = envelope('scan.completed', ScanFacts);
export const ScanFailed = envelope('scan.failed', ScanFacts);
export const ScanEvent = z.discriminatedUnion('type', [ScanStarted, ScanCompleted, ScanFailed]);
export type ScanEvent = z.infer<typeof ScanEvent>;
