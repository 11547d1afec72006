import type { Charge } from '@slidecharge/contracts';
import { encodeSegment, formatHl7DateTime } from './encoding';

/** A person as HL7 XCN: id^family^given. */
export interface Hl7Person {
  id: string;
  family?: string;
  given?: string;
}

export interface DftOptions {
  /** MSH-10 of this message (unique per send attempt is not required: use the chargeId for idempotent resends). */
  messageControlId: string;
  /** MSH-7 / EVN-2; defaults to now. */
  timestamp?: Date;
  sendingApplication?: string;
  sendingFacility?: string;
  receivingApplication?: string;
  receivingFacility?: string;
  /** MSH-12; default 2.5.1. */
  version?: string;
  /** MSH-11; default P. */
  processingId?: string;
  /**
   * A credit: FT1-6 = CD and FT1-2 = the original charge's id, so the billing system pairs it with
   * the charge it reverses.
   */
  credit?: { originalChargeId: string };
  /** FT1-7 transaction code (charge master); defaults to the CPT code. */
  transactionCode?: string;
  /** FT1-8 description. */
  description?: string;
  /** FT1-20 performed by. */
  performedBy?: Hl7Person;
  /** FT1-21 ordered by. */
  orderedBy?: Hl7Person;
  /** FT1-26 procedure code modifiers (e.g. 26, TC, 59); default: the charge's own modifiers. */
  modifiers?: string[];
  /** PID-3 assigning authority. */
  assigningAuthority?: string;
  /** PID-5. */
  patientName?: { family: string; given?: string };
  /** PV1-2 patient class; default O (outpatient). */
  patientClass?: string;
  /** IN1-4 insurance company name. */
  payerName?: string;
}

/**
 * Builds a DFT^P03 for one charge: MSH, EVN, PID, PV1, FT1, DG1 (one per diagnosis), IN1.
 * Fields follow v2.5.1; segments are joined with CR.
 */
export function buildDftP03(charge: Charge, options: DftOptions): string {
  const now = options.timestamp ?? new Date();
  const ts = formatHl7DateTime(now);
  const person = (p?: Hl7Person) => (p ? [p.id, p.family, p.given] : undefined);
  const credit = options.credit;
  const segments = [
    encodeSegment('MSH', [
      options.sendingApplication ?? 'SLIDECHARGE',
      options.sendingFacility,
      options.receivingApplication,
      options.receivingFacility,
      ts,
      undefined,
      ['DFT', 'P03', 'DFT_P03'],
      options.messageControlId,
      options.processingId ?? 'P',
      options.version ?? '2.5.1',
    ]),
    encodeSegment('EVN', ['P03', ts]),
    encodeSegment('PID', [
      '1',
      undefined,
      [charge.patientId, undefined, undefined, options.assigningAuthority, 'MR'],
      undefined,
      options.patientName ? [options.patientName.family, options.patientName.given] : undefined,
    ]),
    encodeSegment('PV1', ['1', options.patientClass ?? 'O']),
    encodeSegment('FT1', [
      '1', // 1 set id
      credit ? credit.originalChargeId : charge.chargeId, // 2 transaction id
      undefined, // 3 batch id
      formatHl7DateTime(charge.dateOfService), // 4 transaction date
      formatHl7DateTime(charge.postedAt), // 5 posting date
      credit ? 'CD' : charge.transactionType, // 6 transaction type
      [options.transactionCode ?? charge.code], // 7 transaction code
      options.description, // 8
      undefined, // 9
      charge.units, // 10 quantity
      undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, // 11-18
      { repeat: charge.diagnoses.map((d) => [d, undefined, 'I10']) }, // 19 diagnoses
      person(options.performedBy), // 20
      person(options.orderedBy), // 21
      undefined, // 22
      [charge.accessionNumber], // 23 filler order number
      undefined, // 24
      [charge.code, undefined, 'C4'], // 25 procedure code
      { repeat: (options.modifiers ?? charge.modifiers ?? []).map((mod) => [mod, undefined, 'C4']) }, // 26 modifiers
    ]),
    ...charge.diagnoses.map((d, i) => encodeSegment('DG1', [i + 1, 'I10', [d, undefined, 'I10'], undefined, undefined, 'F'])),
    encodeSegment('IN1', ['1', undefined, [charge.payerId], options.payerName ? [options.payerName] : undefined]),
  ];
  return segments.join('\r');
}
