import { z } from 'zod';
import { AccessionNumber, IsoDateTime } from '@slidecharge/contracts';
import { actionRequest } from '@slidecharge/service-kit';

// ---- requests ----

export const DeliveryIdParam = z.uuid('must be a UUID');

export const ListDeliveriesQuery = z.object({
  /** Only deliveries in this state (failed = gave up: a person must look). */
  state: z.enum(['pending', 'in-flight', 'acked', 'failed']).optional(),
  /** Only the deliveries of this accession. */
  accession: AccessionNumber.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(100),
});
export type ListDeliveriesQuery = z.output<typeof ListDeliveriesQuery>;

/** Sending a failed delivery again (the signed-in caller is kept on the delivery and in the log). */
export const RetryDeliveryRequest = actionRequest({
  comment: z.string().trim().max(1000).optional(),
});
export type RetryDeliveryRequest = z.output<typeof RetryDeliveryRequest>;

// ---- responses ----

export const DeliveryStateView = z
  .enum(['pending', 'in-flight', 'acked', 'failed'])
  .describe(
    'pending: to be sent (nextAttemptAt; a credit waits for its charge to be acknowledged); in-flight: sent, waiting for the ACK; ' +
      'acked: the billing system answered AA (or CA), never sent again; failed: not accepted after the maximum attempts, ' +
      'waits for POST /deliveries/{deliveryId}/retry',
  );

export const AttemptOutcomeView = z
  .enum(['AA', 'CA', 'AE', 'AR', 'CE', 'CR', 'timeout', 'connection-error', 'invalid-ack', 'internal-error', 'interrupted', 'not-sendable'])
  .describe(
    'AA/CA accepted; AE/AR/CE/CR refused by the billing system (detail says why); timeout: no ACK in time; ' +
      'connection-error: could not connect, or the connection broke; invalid-ack: an answer that is not an ACK of this message; ' +
      'internal-error: billing could not build or send the message; interrupted: the sender stopped before an answer; ' +
      'not-sendable: billing did not send it because the case lacks a field HL7 v2.5.1 requires (PID-5 patient name, IN1-2 plan) or the message fails the v2.5.1 check ' +
      '(detail says which); the delivery fails at once and is due again when a newer case version arrives or when retried by hand',
  );

export const DeliveryAttemptView = z.object({
  attempt: z.int().describe('1, 2, ... counted from when it was queued or last retried by hand'),
  startedAt: IsoDateTime,
  finishedAt: IsoDateTime,
  outcome: AttemptOutcomeView,
  detail: z.string().nullable().describe('MSA-3 / ERR-8 of a negative ACK, or the error'),
  ack: z.string().nullable().describe('the ACK as received, segments separated by CR'),
  sentBy: z.string().describe('the billing instance that sent it'),
});
export type DeliveryAttemptView = z.infer<typeof DeliveryAttemptView>;

export const DeliverySummary = z.object({
  deliveryId: z.uuid(),
  kind: z.enum(['charge', 'credit']).describe('charge: FT1-6 = CG; credit: FT1-6 = CD, PR1-19 = the FT1-2 of the charge it reverses, PR1-20 = D'),
  transactionId: z.string().describe("FT1-2 of its DFT^P03 (at most 12 characters): unique per charge and per credit, the same on every attempt"),
  chargeTransactionId: z
    .string()
    .nullable()
    .describe("for a credit: FT1-2 of the charge's own DFT^P03, which its PR1-19 names; null for a charge (PR1-19 = its own FT1-2)"),
  chargeId: z.uuid().describe('the charge (for a credit: the charge it reverses)'),
  creditId: z.uuid().nullable(),
  accessionNumber: z.string(),
  messageControlId: z.string().describe('MSH-10, the same on every attempt: the billing system drops repeats by it'),
  state: DeliveryStateView,
  attempts: z.int(),
  maxAttempts: z.int().describe('attempts before it fails (BILLING_DFT_MAX_ATTEMPTS of the instance that answers)'),
  nextAttemptAt: IsoDateTime.nullable().describe('when it is due (pending only)'),
  waitingFor: z.uuid().nullable().describe('a delivery that must be acknowledged first (a credit waits for its charge)'),
  lastOutcome: AttemptOutcomeView.nullable(),
  lastError: z.string().nullable(),
  ackedAt: IsoDateTime.nullable(),
  manualRetries: z.int(),
  lastRetry: z.object({ by: z.string(), at: IsoDateTime }).nullable(),
  createdAt: IsoDateTime,
  updatedAt: IsoDateTime,
});
export type DeliverySummary = z.infer<typeof DeliverySummary>;

export const DeliveryView = DeliverySummary.extend({
  message: z.string().nullable().describe('the DFT^P03 as sent, segments separated by CR (null before the first attempt)'),
  history: z.array(DeliveryAttemptView).describe('every attempt, oldest first'),
});
export type DeliveryView = z.infer<typeof DeliveryView>;

export const DeliveryTarget = z.object({
  enabled: z.boolean(),
  target: z.string().nullable().describe('host:port of the billing system (null when delivery is off)'),
  note: z.string().optional(),
});

export const ChargeDeliveriesView = z.object({
  chargeId: z.uuid(),
  delivery: DeliveryTarget,
  deliveries: z.array(DeliveryView).describe('the charge, then its credit when credited; empty when never queued (held, never posted, or posted while delivery was off)'),
});
export type ChargeDeliveriesView = z.infer<typeof ChargeDeliveriesView>;

export const DeliveryPage = z.object({
  delivery: DeliveryTarget,
  items: z.array(DeliverySummary).describe('oldest first'),
  counts: z.record(z.string(), z.int()).describe('open deliveries per state (pending, in-flight, failed), over all accessions'),
});
export type DeliveryPage = z.infer<typeof DeliveryPage>;
