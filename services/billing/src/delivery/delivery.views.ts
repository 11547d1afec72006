import type { DeliveryAttempt as AttemptRow } from '../generated/prisma/client';
import type { AttemptOutcome, DeliveryKind, DeliveryState } from './delivery-policy';
import type { DeliveryAttemptView, DeliverySummary, DeliveryView } from './delivery.dto';
import type { DeliveryWithDependency, DeliveryWithHistory } from './delivery.repository';

/** A delivery row as the API shows it (without the message and history). */
export function toDeliverySummary(row: DeliveryWithDependency, maxAttempts: number): DeliverySummary {
  return {
    deliveryId: row.id,
    kind: row.kind as DeliveryKind,
    transactionId: row.seq.toString(),
    // A credit depends on its charge's delivery: that delivery's seq is the charge's FT1-2.
    chargeTransactionId: row.kind === 'credit' && row.dependency ? row.dependency.seq.toString() : null,
    chargeId: row.chargeId,
    creditId: row.creditId,
    accessionNumber: row.accessionNumber,
    messageControlId: row.messageControlId,
    state: row.state as DeliveryState,
    attempts: row.attempts,
    maxAttempts,
    nextAttemptAt: row.state === 'pending' ? row.nextAttemptAt.toISOString() : null,
    waitingFor: row.dependsOn && row.dependency && row.dependency.state !== 'acked' ? row.dependsOn : null,
    lastOutcome: row.lastOutcome as AttemptOutcome | null,
    lastError: row.lastError,
    ackedAt: row.ackedAt?.toISOString() ?? null,
    manualRetries: row.manualRetries,
    lastRetry: row.lastRetryBy && row.lastRetryAt ? { by: row.lastRetryBy, at: row.lastRetryAt.toISOString() } : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toAttemptView(row: AttemptRow): DeliveryAttemptView {
  return {
    attempt: row.attempt,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
    outcome: row.outcome as AttemptOutcome,
    detail: row.detail,
    ack: row.ack,
    sentBy: row.sentBy,
  };
}

export function toDeliveryView(row: DeliveryWithHistory, maxAttempts: number): DeliveryView {
  return { ...toDeliverySummary(row, maxAttempts), message: row.message, history: row.history.map(toAttemptView) };
}
