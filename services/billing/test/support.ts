import { randomUUID } from 'node:crypto';
import { CaseSnapshot, Charge, Credit, EventEnvelope, TopicName } from '@slidecharge/contracts';
import { buildEvent, OutgoingMessage } from '@slidecharge/messaging';
import { ReadMessage } from '@slidecharge/testing';

export { deleteGroup, startGroupAtEnd } from '@slidecharge/testing';

/** What billing-side integration tests share: event builders and consumer-group set-up. */

export const INPUT_TOPICS = ['lis.case-events.v1', 'scan.events.v1', 'qc.results.v1'] as const satisfies readonly TopicName[];

export type ChargeMessage = EventEnvelope<'charge.posted', Charge>;
export type CreditMessage = EventEnvelope<'charge.credited', Credit>;

/** A unique accession number for one test. */
export const newAccession = (prefix = 'BIT') => `${prefix}${randomUUID().slice(0, 8).toUpperCase()}-${randomUUID().slice(0, 4).toUpperCase()}`;

export interface SpecimenSpec {
  id: string;
  cpt: string;
  units?: number;
  slides: number;
}

export const barcodeOf = (accession: string, specimen: string, slide: number) => `${accession}-${specimen}1-${slide}`;

/**
 * The default collection date: yesterday, so that scans reported now digitize a specimen stored one day,
 * not an archived one (42 CFR 414.510(b): stored more than 30 days, the date of service moves).
 */
export const COLLECTED = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);

export function snapshot(accessionNumber: string, specimens: SpecimenSpec[], over: Partial<CaseSnapshot> = {}): CaseSnapshot {
  return {
    accessionNumber,
    status: 'active',
    version: 1,
    patientId: `MRN-${accessionNumber}`,
    // Aetna: billed as decided (no payer rule of its own). Medicare and BCBS charges are held for review.
    payer: { payerId: 'AETNA', name: 'Aetna' },
    collectionDate: COLLECTED,
    diagnoses: ['C50.911', 'D37.9'],
    specimens: specimens.map((s) => ({ specimenId: s.id, primaryCpt: s.cpt, units: s.units ?? 1 })),
    slides: specimens.flatMap((s) => Array.from({ length: s.slides }, (_, i) => ({ barcode: barcodeOf(accessionNumber, s.id, i + 1), specimenId: s.id }))),
    ...over,
  };
}

export function caseEvent(data: CaseSnapshot, type: 'case.created' | 'case.updated' | 'case.cancelled' = 'case.created'): OutgoingMessage<'lis.case-events.v1'> {
  return buildEvent('lis.case-events.v1', type, data.accessionNumber, data, { producer: 'accession' });
}

export function scanEvent(
  slideBarcode: string,
  over: { scanId?: string; type?: 'scan.started' | 'scan.completed' | 'scan.failed'; purpose?: 'diagnostic' | 'archive'; scannedAt?: string } = {},
): OutgoingMessage<'scan.events.v1'> {
  const type = over.type ?? 'scan.completed';
  return buildEvent(
    'scan.events.v1',
    type,
    slideBarcode,
    {
      scanId: over.scanId ?? randomUUID(),
      slideBarcode,
      scannerId: 'GT450-01',
      scannedAt: over.scannedAt ?? new Date().toISOString(),
      purpose: over.purpose ?? 'diagnostic',
      receivedVia: 'kafka',
      sourceEventId: randomUUID(),
      ...(type === 'scan.failed' ? { failureReason: 'tray jam' } : {}),
    },
    { producer: 'scanner-events' },
  );
}

export function qcEvent(scan: OutgoingMessage<'scan.events.v1'>, passed = true): OutgoingMessage<'qc.results.v1'> {
  const data = scan.value.data;
  return buildEvent(
    'qc.results.v1',
    passed ? 'qc.passed' : 'qc.failed',
    data.slideBarcode,
    {
      scanId: data.scanId,
      slideBarcode: data.slideBarcode,
      scanEventId: scan.value.eventId,
      rulesVersion: 'test-1',
      checks: [{ rule: 'focus', passed, value: passed ? 0.9 : 0.3, threshold: '>= 0.6', ...(passed ? {} : { reason: 'out of focus' }) }],
      reasons: passed ? [] : ['out of focus'],
    },
    { producer: 'qc' },
  );
}

/** A completed scan and its QC pass, for each slide barcode (scanned now unless `scannedAt` says when). */
export function passingScans(barcodes: string[], scannedAt?: string): OutgoingMessage[] {
  return barcodes.flatMap((b) => {
    const scan = scanEvent(b, scannedAt !== undefined ? { scannedAt } : {});
    return [scan, qcEvent(scan, true)];
  });
}

/** A charge.posted of the accession on the charges topic. */
export const isChargeOf = (accession: string) => (m: ReadMessage) =>
  m.topic === 'billing.charges.v1' && (m.value as ChargeMessage).type === 'charge.posted' && (m.value as ChargeMessage).data?.accessionNumber === accession;

/** A charge.credited of the accession on the charges topic. */
export const isCreditOf = (accession: string) => (m: ReadMessage) =>
  m.topic === 'billing.charges.v1' && (m.value as CreditMessage).type === 'charge.credited' && (m.value as CreditMessage).data?.accessionNumber === accession;

/** A case of a stream test: its events in the order sent, and the keys of the charges it must earn. */
export interface PlannedCase {
  accession: string;
  events: OutgoingMessage[];
  expectedKeys: string[];
}

/**
 * Case i of a stream: specimen A (88305, 2 slides); every third case also B (88307 -> 0754T); every
 * fourth also C (88305, 2 units). Half the cases send their scans before the case. Every fifth sends
 * its first scan and verdict twice (the same events again: a producer's retry).
 */
export function planCase(i: number, prefix: string): PlannedCase {
  const accession = newAccession(prefix);
  const specimens: SpecimenSpec[] = [{ id: 'A', cpt: '88305', slides: 2 }];
  if (i % 3 === 0) specimens.push({ id: 'B', cpt: '88307', slides: 1 });
  if (i % 4 === 0) specimens.push({ id: 'C', cpt: '88305', units: 2, slides: 1 });
  const data = snapshot(accession, specimens);
  const scans = passingScans(specimens.flatMap((s) => Array.from({ length: s.slides }, (_, n) => barcodeOf(accession, s.id, n + 1))));
  const events = i % 2 === 0 ? [caseEvent(data), ...scans] : [...scans, caseEvent(data)];
  if (i % 5 === 0) events.push(scans[0] as OutgoingMessage, scans[1] as OutgoingMessage);
  const expectedKeys = specimens.map((s) => `${accession}/${s.id}/${s.cpt === '88307' ? '0754T' : '0753T'}`);
  return { accession, events, expectedKeys };
}
