import { z } from 'zod';
import { AccessionNumber, Charge, IsoDate, IsoDateTime, ScanPurpose, SlideBarcode, TraceLine } from '@slidecharge/contracts';
import { actionRequest } from '@slidecharge/service-kit';
import { decodeCursor } from './cursor';

// ---- requests ----

export const ListChargesQuery = z.object({
  /** Only charges in this state. */
  status: z.enum(['held', 'posted', 'do-not-send', 'voided', 'credited']).optional(),
  /** Only the charges of this accession. */
  accession: AccessionNumber.optional(),
  /** Only charges decided at or after this instant (ISO date-time with offset, or a YYYY-MM-DD day, UTC). */
  since: z
    .union([IsoDateTime, IsoDate], { error: 'must be an ISO date-time with offset (2026-03-02T10:00:00Z) or a date (2026-03-02)' })
    .transform((v) => new Date(v.length === 10 ? `${v}T00:00:00.000Z` : v))
    .optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(100),
  /** nextCursor of the previous page. */
  cursor: z
    .string()
    .transform((v, ctx) => {
      const decoded = decodeCursor(v);
      if (!decoded) {
        ctx.addIssue({ code: 'custom', message: 'is not a cursor from a previous page (use nextCursor as given)' });
        return z.NEVER;
      }
      return decoded;
    })
    .optional(),
});
export type ListChargesQuery = z.output<typeof ListChargesQuery>;

export const AccessionNumberParam = AccessionNumber;

/** Releasing a held charge: why (goes into the audit trail and onto the charge, with the signed-in reviewer). */
export const ReleaseChargeRequest = actionRequest({
  justification: z
    .string()
    .trim()
    .min(10, 'say why the charge may go out (at least 10 characters), e.g. the medical necessity or the payer confirmation')
    .max(1000),
});
export type ReleaseChargeRequest = z.output<typeof ReleaseChargeRequest>;

/** Voiding a held (or unsent) charge: why (the signed-in reviewer is recorded with it). */
export const VoidChargeRequest = actionRequest({
  reason: z.string().trim().min(5, 'say why the charge is withdrawn').max(1000),
});
export type VoidChargeRequest = z.output<typeof VoidChargeRequest>;

export const ReviewQueueQuery = z.object({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(100),
  /** Only held charges for this payer id. */
  payer: z.string().trim().min(1).max(64).optional(),
});
export type ReviewQueueQuery = z.output<typeof ReviewQueueQuery>;

// ---- responses ----

export const ChargeStatus = z
  .enum(['held', 'posted', 'do-not-send', 'voided', 'credited'])
  .describe(
    'held: waits in the review queue; posted: on billing.charges.v1; do-not-send: kept, never sent (payer policy); ' +
      'voided: withdrawn before it was sent; credited: reversed by a charge.credited after it was sent',
  );

export const HoldReasonView = z.object({ rule: z.string(), detail: z.string() });

export const AuditEntryView = z.object({
  at: IsoDateTime,
  actor: z.string().describe('billing-rules for automatic decisions, else the signed-in person: user name and token subject'),
  action: z.enum(['created', 'released', 'voided', 'credited']),
  fromStatus: ChargeStatus.nullable(),
  toStatus: ChargeStatus,
  reason: z.string(),
  eventId: z.string().nullable().describe('the event that caused an automatic change'),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const CreditView = z.object({
  creditId: z.uuid(),
  reason: z.string(),
  detail: z.string(),
  creditedAt: IsoDateTime,
  traceId: z.string().optional().describe('W3C trace id (32 hex) of the event whose handling reversed the charge; absent for credits older than tracing'),
});

/** A charge as billing holds it: the payload (as posted, or as it would be) plus its state. */
export const ChargeView = Charge.extend({
  status: ChargeStatus,
  generation: z.int().describe('1 for the first charge of its key; more after a reversal and re-charge'),
  postedAt: IsoDateTime.describe('when it went onto the charges topic; for a charge never posted, when it was decided'),
  statusChangedAt: IsoDateTime,
  holdReasons: z.array(HoldReasonView).describe('why it is (or was) held for review'),
  refusedModifiers: z.array(z.object({ modifier: z.string(), reason: z.string() })).describe('requested modifiers the rules refused'),
  traceId: z
    .string()
    .optional()
    .describe('W3C trace id (32 hex) of the event (scan, QC verdict or case) whose handling decided the charge; absent for charges older than tracing'),
  credit: CreditView.optional().describe('the credit that reversed it'),
  audit: z.array(AuditEntryView).describe('every state change, oldest first'),
});
export type ChargeView = z.infer<typeof ChargeView>;

/** A charge in a list: without the decision trace and audit trail (GET /charges/{chargeId} has them). */
export const ChargeSummary = ChargeView.omit({ trace: true, audit: true });
export type ChargeSummary = z.infer<typeof ChargeSummary>;

export const ChargePage = z.object({
  items: z.array(ChargeSummary),
  nextCursor: z.string().nullable().describe('pass as ?cursor= for the next page; null on the last page'),
});
export type ChargePage = z.infer<typeof ChargePage>;

export const QcOutcomeView = z.object({
  sourceEventId: z.string(),
  passed: z.boolean(),
  reasons: z.array(z.string()),
  rulesVersion: z.string(),
  recordedAt: IsoDateTime,
});

export const ScanView = z.object({
  scanId: z.string(),
  slideBarcode: SlideBarcode,
  status: z.enum(['started', 'completed', 'failed']),
  purpose: ScanPurpose,
  scannerId: z.string(),
  scannedAt: IsoDateTime,
  sourceEventId: z.string(),
  receivedAt: IsoDateTime,
});
export type ScanView = z.infer<typeof ScanView>;

export const NoChargeExplanationView = z.object({
  accessionNumber: z.string(),
  specimenId: z.string(),
  primaryCode: z.string(),
  reason: z.enum([
    'case-cancelled',
    'invalid-date-of-service',
    'no-add-on-code',
    'invalid-units',
    'already-charged',
    'no-slides',
    'no-completed-scan',
    'purpose-not-billable',
    'qc-failed',
    'qc-pending',
  ]),
  detail: z.string(),
  code: z.string().optional(),
  chargeKey: z.string().optional(),
  trace: z.array(TraceLine),
});

export const CaseBillingView = z.object({
  case: z.object({
    accessionNumber: AccessionNumber,
    version: z.int(),
    status: z.enum(['active', 'cancelled']),
    patientId: z.string(),
    payerId: z.string(),
    collectionDate: IsoDate,
    diagnoses: z.array(z.string()),
    updatedAt: IsoDateTime,
    flags: z.record(z.string(), z.boolean()).describe('case flags from the LIS (researchStudy, digitalSignOut, abnOnFile...)'),
    specimens: z.array(
      z.object({
        specimenId: z.string(),
        primaryCpt: z.string(),
        units: z.int(),
        modifiers: z.array(z.string()),
        diagnosisPointers: z.array(z.int()),
        retrievedFromStorageDate: IsoDate.optional().describe('when the specimen was obtained from storage: the date of service of an archived specimen (42 CFR 414.510(b))'),
      }),
    ),
    slides: z.array(z.object({ barcode: SlideBarcode, specimenId: z.string() })),
  }),
  scans: z.array(ScanView.extend({ qc: z.array(QcOutcomeView) })).describe('every scan of the case slides, with its QC verdicts'),
  charges: z.array(ChargeSummary),
  explanations: z
    .array(NoChargeExplanationView)
    .describe('one per specimen that earns no new charge now, with the reason (already-charged, qc-pending, qc-failed...)'),
  policy: z.object({ policyVersion: z.string(), requireQcPass: z.boolean(), billablePurposes: z.array(ScanPurpose), requireDigitalSignOut: z.boolean() }),
});
export type CaseBillingView = z.infer<typeof CaseBillingView>;

export const ReviewQueueView = z.object({
  items: z.array(ChargeSummary).describe('held charges, oldest first, with their hold reasons'),
  total: z.int().describe('held charges in all (the page may show fewer)'),
});
export type ReviewQueueView = z.infer<typeof ReviewQueueView>;

