import type { ChargeActivity, TopicMessage } from '@slidecharge/contracts';

/**
 * What the read model keeps of each event (pure: event in, fact out). One fact per event kind; the
 * repository writes them and fills the lags in SQL once both sides are known.
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
