import type { TimelineEntry } from '@slidecharge/contracts';

/**
 * A case's timeline lines from the owning services' answers (pure: answers in, entries out). Each
 * reads only the fields it names, so a newer answer with more fields still maps; a `traceId` on a
 * record is carried where present.
 */

type Facts = TimelineEntry['facts'];

const traceOf = (record: { traceId?: unknown }, known?: string): { traceId?: string } => {
  const id = typeof record.traceId === 'string' && /^[0-9a-f]{32}$/.test(record.traceId) ? record.traceId : known;
  return id ? { traceId: id } : {};
};

/** A case event the read model saw. */
export interface CaseVersionRecord {
  version: number;
  type: string;
  occurredAt: Date;
  traceId: string | null;
}

export function caseVersionEntries(versions: readonly CaseVersionRecord[]): TimelineEntry[] {
  return versions.map((v) => ({
    at: v.occurredAt.toISOString(),
    kind: 'case-version',
    service: 'accession',
    title: `Case ${v.type.replace('case.', '')} (version ${v.version})`,
    facts: { version: v.version, event: v.type },
    ...(v.traceId ? { traceId: v.traceId } : {}),
  }));
}

/** scanner-events GET /slides/{barcode}/scans: receipts. */
export interface ScanReceipt {
  scanId: string;
  slideBarcode: string;
  eventType: string;
  scannerId: string;
  occurredAt: string;
  receivedVia?: string;
  traceId?: string;
}

export function scanEntries(receipts: readonly ScanReceipt[]): TimelineEntry[] {
  return receipts.map((r) => ({
    at: r.occurredAt,
    kind: 'scan',
    service: 'scanner-events',
    title: `Slide ${r.slideBarcode} ${r.eventType.replace('scan.', 'scan ')} on ${r.scannerId}`,
    facts: { slide: r.slideBarcode, scanner: r.scannerId, scanId: r.scanId, event: r.eventType, via: r.receivedVia ?? null },
    ...traceOf(r),
  }));
}

/** qc GET /slides/{barcode}/qc: verdicts. */
export interface QcVerdictRecord {
  scanId: string;
  slideBarcode: string;
  passed: boolean;
  reasons: string[];
  rulesVersion: string;
  evaluatedAt: string;
  traceId?: string;
}

export function qcEntries(verdicts: readonly QcVerdictRecord[]): TimelineEntry[] {
  return verdicts.map((v) => ({
    at: v.evaluatedAt,
    kind: 'qc-verdict',
    service: 'qc',
    title: `QC ${v.passed ? 'passed' : 'failed'}: slide ${v.slideBarcode}${v.passed ? '' : ` (${v.reasons.join('; ')})`}`,
    facts: { slide: v.slideBarcode, scanId: v.scanId, verdict: v.passed ? 'pass' : 'fail', reason: v.reasons.join('; ') || null, rules: v.rulesVersion },
    ...traceOf(v),
  }));
}

type TraceLine = { rule: string; outcome: string; detail: string };

/** billing GET /cases/{accession}/billing (the fields read). */
export interface CaseBillingRecord {
  case: { version: number; updatedAt: string; status: string };
  charges: Array<{ chargeId: string; code: string; units: number; status: string; postedAt: string; specimenId: string; credit?: { creditId: string; reason: string; detail: string; creditedAt: string }; traceId?: string }>;
  explanations: Array<{ specimenId: string; reason: string; detail: string; trace: TraceLine[] }>;
}

/** billing GET /charges/{chargeId} (trace and audit). */
export interface ChargeDetailRecord {
  chargeId: string;
  trace: TraceLine[];
  audit: Array<{ at: string; actor: string; action: string; fromStatus: string | null; toStatus: string; reason: string }>;
}

function chargeEntry(c: CaseBillingRecord['charges'][number], detail: ChargeDetailRecord | undefined, traceId: string | undefined): TimelineEntry {
  return {
    at: c.postedAt,
    kind: 'charge',
    service: 'billing',
    title: `Charge ${c.code} x${c.units} for specimen ${c.specimenId}: ${c.status}`,
    facts: { chargeId: c.chargeId, code: c.code, units: c.units, specimen: c.specimenId, status: c.status },
    ...(detail ? { trace: detail.trace } : {}),
    ...traceOf(c, traceId),
  };
}

function creditEntry(c: CaseBillingRecord['charges'][number]): TimelineEntry[] {
  if (!c.credit) return [];
  return [
    {
      at: c.credit.creditedAt,
      kind: 'credit',
      service: 'billing',
      title: `Credit of charge ${c.code} for specimen ${c.specimenId}: ${c.credit.reason}`,
      facts: { creditId: c.credit.creditId, chargeId: c.chargeId, reason: c.credit.reason, detail: c.credit.detail },
    },
  ];
}

function auditEntries(detail: ChargeDetailRecord | undefined): TimelineEntry[] {
  return (detail?.audit ?? [])
    .filter((a) => a.action !== 'created')
    .map((a) => ({
      at: a.at,
      kind: 'audit',
      service: 'billing',
      title: `Charge ${a.action}: ${a.fromStatus ?? 'new'} -> ${a.toStatus}`,
      facts: { chargeId: detail?.chargeId ?? null, action: a.action, reason: a.reason },
      actor: a.actor,
    }));
}

/** Charges (with their rule trace), credits, people's actions on them, and the specimens billing did not charge, with why. */
export function billingEntries(billing: CaseBillingRecord, details: ReadonlyMap<string, ChargeDetailRecord>, traceIds: ReadonlyMap<string, string>): TimelineEntry[] {
  const charges = billing.charges.flatMap((c) => [chargeEntry(c, details.get(c.chargeId), traceIds.get(c.chargeId)), ...creditEntry(c), ...auditEntries(details.get(c.chargeId))]);
  const decisions: TimelineEntry[] = billing.explanations.map((e) => ({
    at: billing.case.updatedAt,
    kind: 'decision',
    service: 'billing',
    title: `No new charge for specimen ${e.specimenId}: ${e.reason}`,
    facts: { specimen: e.specimenId, reason: e.reason, detail: e.detail } satisfies Facts,
    trace: e.trace,
  }));
  return [...charges, ...decisions];
}

/** billing GET /deliveries?accession= (items). */
export interface DeliveryRecord {
  deliveryId: string;
  kind: string;
  chargeId: string;
  state: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  ackedAt: string | null;
  lastRetry: { by: string; at: string } | null;
}

export function deliveryEntries(deliveries: readonly DeliveryRecord[]): TimelineEntry[] {
  return deliveries.flatMap((d) => {
    const entry: TimelineEntry = {
      at: d.ackedAt ?? d.createdAt,
      kind: 'delivery',
      service: 'billing',
      title: `DFT^P03 of the ${d.kind} ${d.state}${d.state === 'failed' && d.lastError ? `: ${d.lastError}` : ''}`,
      facts: { deliveryId: d.deliveryId, chargeId: d.chargeId, state: d.state, attempts: d.attempts },
    };
    const retry: TimelineEntry[] = d.lastRetry
      ? [{ at: d.lastRetry.at, kind: 'audit', service: 'billing', title: `DFT^P03 of the ${d.kind} sent again by hand`, facts: { deliveryId: d.deliveryId }, actor: d.lastRetry.by }]
      : [];
    return [entry, ...retry];
  });
}

/** Oldest first; entries at the same instant keep the order of the pipeline (case, scan, QC, billing). */
export function chronological(entries: readonly TimelineEntry[]): TimelineEntry[] {
  const order: Record<string, number> = { 'case-version': 0, 'slide-move': 1, scan: 2, 'qc-verdict': 3, decision: 4, charge: 5, audit: 6, credit: 7, delivery: 8, 'dead-letter': 9 };
  return [...entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (order[a.kind] ?? 9) - (order[b.kind] ?? 9));
}
