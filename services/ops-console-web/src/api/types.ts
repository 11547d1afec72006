/**
 * The answers the console's server passes through from the owning services (billing, qc, accession),
 * written as the browser reads them. Their source of truth is the services' DTOs (zod, server side):
 * services/billing/src/charges/charges.dto.ts, unmatched-scans.dto.ts, delivery/delivery.dto.ts,
 * services/qc/src/qc/rescans.dto.ts, services/accession/src/cases/case.model.ts. Only the fields the
 * console shows are listed.
 */
import type { DeadLetterSummary, OpsServiceName } from '@slidecharge/contracts/ops-console';

export type ChargeStatus = 'held' | 'posted' | 'do-not-send' | 'voided' | 'credited';

export interface ChargeSummary {
  chargeId: string;
  accessionNumber: string;
  specimenId: string;
  code: string;
  units: number;
  payerId: string;
  dateOfService: string;
  status: ChargeStatus;
  postedAt: string;
  statusChangedAt: string;
  holdReasons: Array<{ rule: string; detail: string }>;
}

export interface ChargeView extends ChargeSummary {
  audit: Array<{ at: string; actor: string; action: string; fromStatus: ChargeStatus | null; toStatus: ChargeStatus; reason: string }>;
}

/** billing GET /review-queue?limit=&payer= */
export interface ReviewQueuePage {
  items: ChargeSummary[];
  total: number;
}
export interface ReviewQueueFilter {
  payer?: string;
  limit?: number;
}

export type DeliveryState = 'pending' | 'in-flight' | 'acked' | 'failed';

export interface DeliverySummary {
  deliveryId: string;
  kind: 'charge' | 'credit';
  transactionId: string;
  chargeId: string;
  accessionNumber: string;
  messageControlId: string;
  state: DeliveryState;
  attempts: number;
  maxAttempts: number;
  nextAttemptAt: string | null;
  lastOutcome: string | null;
  lastError: string | null;
  manualRetries: number;
  lastRetry: { by: string; at: string } | null;
  updatedAt: string;
}

/** billing GET /deliveries?state=&accession=&limit= */
export interface DeliveryPage {
  delivery: { enabled: boolean; target: string | null; note?: string };
  items: DeliverySummary[];
  counts: Record<string, number>;
}

export type UnmatchedScanState = 'open' | 'matched' | 'dismissed';

export interface UnmatchedScan {
  scanId: string;
  slideBarcode: string;
  scannerId: string;
  scannedAt: string;
  receivedAt: string;
  state: UnmatchedScanState;
  waitingHours: number;
  matchedAccession?: string;
  dismissal?: { by: string; at: string; reason: string };
}

/** billing GET /unmatched-scans?state=&scannerId=&barcodePrefix=&olderThanHours=&limit=&cursor= */
export interface UnmatchedScansPage {
  items: UnmatchedScan[];
  nextCursor?: string;
}

/** qc GET /qc/rescans */
export interface RescanPage {
  items: Array<{ slideBarcode: string; scanId: string; reasons: string[]; failedAt: string; failedAttempts: number; firstFailedAt: string }>;
  nextCursor: string | null;
}

/** accession GET /cases (CaseSnapshot, the fields the search shows). */
export interface CaseSnapshot {
  accessionNumber: string;
  version: number;
  status: 'active' | 'cancelled';
  payerId: string;
  collectionDate: string;
  updatedAt?: string;
  specimens: Array<{ specimenId: string; primaryCpt: string; units: number }>;
  slides: Array<{ barcode: string; specimenId: string }>;
}
export interface CasePage {
  items: CaseSnapshot[];
  nextCursor?: string;
}

export type DeadLetterState = DeadLetterSummary['state'];
/** GET /api/dead-letters lists the dead letters of every service, each naming its service. */
export type ListedDeadLetter = DeadLetterSummary & { service: OpsServiceName };

/** GET /api/dead-letters */
export interface ListedDeadLetterPage {
  items: ListedDeadLetter[];
  total: number;
  nextCursor: string | null;
}

/** GET /api/dead-letters/:service/:id and POST .../replay: the contract's shapes. */
export type { DeadLetterDetail, DeadLetterReplayResult } from '@slidecharge/contracts/ops-console';
