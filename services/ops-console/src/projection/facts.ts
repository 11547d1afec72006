import type { ChargeActivity, TopicMessage } from '@slidecharge/contracts';
import type { ProjectionChange } from './projection-changes.service';

/**
 * What the read model keeps of each event (pure: event in, fact out). One fact per event kind; a
 * batch's facts are grouped by table (batchOf) and the repository writes each table once per batch,
 * filling the lags in SQL once both sides are known.
 */

export type ProjectedTopic = 'lis.case-events.v1' | 'scan.events.v1' | 'qc.results.v1' | 'billing.charges.v1';
export const PROJECTED_TOPICS: readonly ProjectedTopic[] = ['lis.case-events.v1', 'scan.events.v1', 'qc.results.v1', 'billing.charges.v1'];

export interface CaseVersionFact {
  kind: 'case';
  eventId: string;
  accessionNumber: string;
  version: number;
  type: string;
  occurredAt: Date;
  traceId: string | null;
}

export interface ScanFact {
  kind: 'scan';
  eventId: string;
  scanId: string;
  type: string;
  slideBarcode: string;
  scannerId: string;
  scannedAt: Date;
}

export interface QcFact {
  kind: 'qc';
  eventId: string;
  scanId: string;
  slideBarcode: string;
  passed: boolean;
  /** The rules of the failed checks (QcCheck.rule), the key of the failure rate by reason. */
  failedRules: string[];
  at: Date;
}

export interface ChargeFact {
  kind: 'charge';
  eventId: string;
  chargeId: string;
  code: string;
  payerId: string;
  units: number;
  accessionNumber: string;
  postedAt: Date;
  scanIds: string[];
  traceId: string | null;
}

export interface CreditFact {
  kind: 'credit';
  eventId: string;
  creditId: string;
  creditFor: string;
  code: string;
  payerId: string;
  units: number;
  accessionNumber: string;
  reason: string;
  creditedAt: Date;
}

export type Fact = CaseVersionFact | ScanFact | QcFact | ChargeFact | CreditFact;

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The W3C trace id of a `traceparent` header, when it carries a valid one (not all zeros). */
export function traceIdOf(headers: Record<string, string>): string | null {
  const match = TRACEPARENT.exec((headers['traceparent'] ?? '').trim().toLowerCase());
  const id = match?.[1];
  return id && !/^0+$/.test(id) ? id : null;
}

/** The fact an event of one of the four topics gives. */
export function factOf<T extends ProjectedTopic>(topic: T, value: TopicMessage<T>, headers: Record<string, string>): Fact {
  const traceId = traceIdOf(headers);
  switch (topic) {
    case 'lis.case-events.v1': {
      const e = value as TopicMessage<'lis.case-events.v1'>;
      return { kind: 'case', eventId: e.eventId, accessionNumber: e.data.accessionNumber, version: e.data.version, type: e.type, occurredAt: new Date(e.occurredAt), traceId };
    }
    case 'scan.events.v1': {
      const e = value as TopicMessage<'scan.events.v1'>;
      return { kind: 'scan', eventId: e.eventId, scanId: e.data.scanId, type: e.type, slideBarcode: e.data.slideBarcode, scannerId: e.data.scannerId, scannedAt: new Date(e.data.scannedAt) };
    }
    case 'qc.results.v1': {
      const e = value as TopicMessage<'qc.results.v1'>;
      return { kind: 'qc', eventId: e.eventId, scanId: e.data.scanId, slideBarcode: e.data.slideBarcode, passed: e.type === 'qc.passed', failedRules: e.data.checks.filter((c) => !c.passed).map((c) => c.rule), at: new Date(e.occurredAt) };
    }
    default: {
      const e = value as TopicMessage<'billing.charges.v1'>;
      if (e.type === 'charge.posted') {
        const c = e.data;
        return { kind: 'charge', eventId: e.eventId, chargeId: c.chargeId, code: c.code, payerId: c.payerId, units: c.units, accessionNumber: c.accessionNumber, postedAt: new Date(c.postedAt), scanIds: c.scanIds, traceId };
      }
      const c = e.data;
      return { kind: 'credit', eventId: e.eventId, creditId: c.creditId, creditFor: c.creditFor, code: c.code, payerId: c.payerId, units: c.units, accessionNumber: c.accessionNumber, reason: c.reason, creditedAt: new Date(c.creditedAt) };
    }
  }
}

/** A charge's two lags as the projection knows them when the charge is written (null while a side is missing). */
export interface ChargeLags {
  scanToCharge: number | null;
  caseToCharge: number | null;
}

const NO_LAGS: ChargeLags = { scanToCharge: null, caseToCharge: null };

/** The live feed's line of a charge or credit fact (a credit has no lag). */
export function activityOf(fact: ChargeFact | CreditFact, lags: ChargeLags = NO_LAGS): ChargeActivity {
  const common = { accessionNumber: fact.accessionNumber, code: fact.code, units: fact.units, payerId: fact.payerId };
  if (fact.kind === 'charge') {
    return { kind: 'charge', id: fact.chargeId, chargeId: fact.chargeId, ...common, at: fact.postedAt.toISOString(), lagSeconds: lags.scanToCharge, caseToChargeSeconds: lags.caseToCharge };
  }
  return { kind: 'credit', id: fact.creditId, chargeId: fact.creditFor, ...common, at: fact.creditedAt.toISOString(), lagSeconds: null, caseToChargeSeconds: null };
}

/** The first item of each key, in order (a later item of a key already seen is dropped). */
function firstOfEachKey<I>(items: readonly I[], keyOf: (item: I) => string): I[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = keyOf(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const distinct = (values: readonly string[]): string[] => [...new Set(values)];

/** When the console first saw a case: the earliest occurredAt of its events. */
export interface CaseFirstSeen {
  accessionNumber: string;
  firstOccurredAt: Date;
}

/**
 * A batch's facts as the tables take them, each table written once: one row per key, and what the
 * derived columns must be computed again for. Every fact table keeps the first fact of a key (an
 * insert that changes nothing when the key is there), so within a batch the first fact of a key is
 * the one kept, as when the events are written one after the other; a case is first seen at the
 * earliest time of its events.
 */
export interface FactBatch {
  /** By event id. */
  caseVersions: CaseVersionFact[];
  /** One per accession, the earliest occurredAt of the batch (merged with the stored one by LEAST). */
  casesFirstSeen: CaseFirstSeen[];
  /** By scan id and event type. */
  scans: ScanFact[];
  /** The barcodes of the batch's completed scans: their rescan flags are computed again. */
  completedBarcodes: string[];
  /** The batch's completed scans: the scan -> charge lags of the charges naming them are computed again. */
  completedScanIds: string[];
  /** By scan id. */
  verdicts: QcFact[];
  /** By charge id. */
  charges: ChargeFact[];
  /** By credit id. */
  credits: CreditFact[];
}

/** Groups a batch's facts (in offset order) by table, one row per key (see FactBatch). */
export function batchOf(facts: readonly Fact[]): FactBatch {
  const of = <K extends Fact['kind']>(kind: K) => facts.filter((f): f is Extract<Fact, { kind: K }> => f.kind === kind);
  const cases = of('case');
  const firstSeen = new Map<string, Date>();
  for (const c of cases) {
    const known = firstSeen.get(c.accessionNumber);
    if (!known || c.occurredAt < known) firstSeen.set(c.accessionNumber, c.occurredAt);
  }
  const scans = of('scan');
  const completed = scans.filter((s) => s.type === 'scan.completed');
  return {
    caseVersions: firstOfEachKey(cases, (c) => c.eventId),
    casesFirstSeen: [...firstSeen].map(([accessionNumber, firstOccurredAt]) => ({ accessionNumber, firstOccurredAt })),
    scans: firstOfEachKey(scans, (s) => `${s.scanId}\n${s.type}`),
    completedBarcodes: distinct(completed.map((s) => s.slideBarcode)),
    completedScanIds: distinct(completed.map((s) => s.scanId)),
    verdicts: firstOfEachKey(of('qc'), (q) => q.scanId),
    // Ids are UUIDs: compared as Postgres compares them (case does not matter).
    charges: firstOfEachKey(of('charge'), (c) => c.chargeId.toLowerCase()),
    credits: firstOfEachKey(of('credit'), (c) => c.creditId.toLowerCase()),
  };
}

/** The lags of a batch's charges after its writes, by charge id in lower case (as Postgres prints a uuid). */
export type LagsByCharge = ReadonlyMap<string, ChargeLags>;

/** What the live feed is told of one projected event: its topic, and the charge or credit line it was, if any. */
export function changeOf(topic: ProjectedTopic, fact: Fact, lags: LagsByCharge): ProjectionChange {
  if (fact.kind === 'charge') return { topic, activity: activityOf(fact, lags.get(fact.chargeId.toLowerCase())) };
  if (fact.kind === 'credit') return { topic, activity: activityOf(fact) };
  return { topic };
}

/** How many events of each type of each topic a batch had (the batch's log line: no ids, no patient data). */
export function countsByTopicAndType(events: readonly { topic: string; type: string }[]): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {};
  for (const { topic, type } of events) {
    const byType = (counts[topic] ??= {});
    byType[type] = (byType[type] ?? 0) + 1;
  }
  return counts;
}
