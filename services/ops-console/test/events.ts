import { randomUUID } from 'node:crypto';
import { buildEvent } from '@slidecharge/messaging';

/**
 * Contract-valid events as the owning services publish them (buildEvent checks each against its
 * topic's schema), for the projection tests. Times are given so lags are known exactly.
 */

export function caseCreated(accessionNumber: string, barcodes: string[], occurredAt: Date) {
  return buildEvent(
    'lis.case-events.v1',
    'case.created',
    accessionNumber,
    {
      accessionNumber,
      status: 'active',
      version: 1,
      patientId: `MRN-${accessionNumber}`,
      payer: { payerId: 'AETNA' },
      collectionDate: occurredAt.toISOString().slice(0, 10),
      diagnoses: ['C50.911'],
      specimens: [{ specimenId: 'A', primaryCpt: '88305', units: 1 }],
      slides: barcodes.map((barcode) => ({ barcode, specimenId: 'A' })),
    },
    { producer: 'accession', occurredAt },
  );
}

export function scanCompleted(scanId: string, slideBarcode: string, scannedAt: Date, scannerId = 'GT450-IT') {
  return scanEvent('scan.completed', scanId, slideBarcode, scannedAt, scannerId);
}

export function scanEvent(type: 'scan.started' | 'scan.completed' | 'scan.failed', scanId: string, slideBarcode: string, scannedAt: Date, scannerId = 'GT450-IT') {
  return buildEvent(
    'scan.events.v1',
    type,
    slideBarcode,
    { scanId, slideBarcode, scannerId, scannedAt: scannedAt.toISOString(), purpose: 'diagnostic', receivedVia: 'http', sourceEventId: `mw-${randomUUID()}` },
    { producer: 'scanner-events', occurredAt: scannedAt },
  );
}

/** A QC verdict with one check, of `rule` (the key of the failure rate by reason). */
export function qcVerdict(scanId: string, slideBarcode: string, passed: boolean, at: Date, rule = 'focus') {
  const reason = `${rule}: 0.3 below 0.6`;
  return buildEvent(
    'qc.results.v1',
    passed ? 'qc.passed' : 'qc.failed',
    slideBarcode,
    {
      scanId,
      slideBarcode,
      scanEventId: randomUUID(),
      rulesVersion: 'it-1',
      checks: [{ rule, passed, value: passed ? 0.9 : 0.3, threshold: '>= 0.6', ...(passed ? {} : { reason }) }],
      reasons: passed ? [] : [reason],
    },
    { producer: 'qc', occurredAt: at },
  );
}

export function chargePosted(chargeId: string, accessionNumber: string, scanIds: string[], postedAt: Date, payerId = 'AETNA') {
  return buildEvent(
    'billing.charges.v1',
    'charge.posted',
    accessionNumber,
    {
      chargeId,
      chargeKey: `${accessionNumber}/A/0753T`,
      transactionType: 'CG',
      accessionNumber,
      specimenId: 'A',
      code: '0753T',
      primaryCode: '88305',
      units: 1,
      dateOfService: postedAt.toISOString().slice(0, 10),
      patientId: `MRN-${accessionNumber}`,
      payerId,
      diagnoses: ['C50.911'],
      slideBarcodes: [],
      scanIds,
      causedBy: [],
      postedAt: postedAt.toISOString(),
      modifiers: [],
      diagnosisPointers: [1],
      performer: { step: 'scanning', taxonomy: '246QM0706X', description: 'Medical technologist' },
      policyVersion: 'it',
      payerPolicyId: 'default',
      flags: [],
      trace: [{ rule: 'add-on', outcome: '0753T', detail: '88305 -> 0753T' }],
    },
    { producer: 'billing', occurredAt: postedAt },
  );
}

export function chargeCredited(chargeId: string, accessionNumber: string, creditedAt: Date) {
  return buildEvent(
    'billing.charges.v1',
    'charge.credited',
    accessionNumber,
    {
      creditId: randomUUID(),
      transactionType: 'CD',
      creditFor: chargeId,
      chargeKey: `${accessionNumber}/A/0753T`,
      accessionNumber,
      specimenId: 'A',
      code: '0753T',
      primaryCode: '88305',
      units: 1,
      dateOfService: creditedAt.toISOString().slice(0, 10),
      patientId: `MRN-${accessionNumber}`,
      payerId: 'AETNA',
      modifiers: [],
      diagnoses: ['C50.911'],
      reason: 'case-cancelled',
      detail: 'the LIS cancelled the case',
      causedBy: [],
      creditedAt: creditedAt.toISOString(),
      trace: [],
    },
    { producer: 'billing', occurredAt: creditedAt },
  );
}
