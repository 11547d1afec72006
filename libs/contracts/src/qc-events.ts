import { z } from 'zod';
import { envelope } from './envelope';
import { SlideBarcode } from './primitives';

export const QcCheck = z.object({
  rule: z.string(),
  passed: z.boolean(),
  value: z.union([z.number(), z.boolean(), z.null()]),
  threshold: z.string(),
  reason: z.string().optional(),
});

export const QcVerdict = z.object({
  scanId: z.string().min(1),
  slideBarcode: SlideBarcode,
  scanEventId: z.string().min(1),
  rulesVersion: z.string().min(1),
  checks: z.array(QcCheck),
  reasons: z.array(z.string()),
});
export type QcVerdict = z.infer<typeof QcVerdict>;

export const QcPassed = envelope('qc.passed', QcVerdict);
export const QcFailed = envelope('qc.failed', QcVerdict);
export const QcEvent = z.discriminatedUnion('type', [QcPassed, QcFailed]);
export type QcEvent = z.infer<typeof QcEvent>;
