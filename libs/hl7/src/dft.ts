import type { Charge } from '@slidecharge/contracts';
import { DftPatient, Hl7Person, CODING_SYSTEMS, insurancePlan, modifierCodingSystem, patientIdentifier, patientName, personXcn } from './dft-fields';
import { encodeSegment, type FieldInput, formatHl7DateTime } from './encoding';

export * from './dft-fields';

/** FT1-2 is ST of at most 12 characters in HL7 v2.5.1. */
export const FT1_TRANSACTION_ID_MAX_LENGTH = 12;

export interface DftOptions {
  /** MSH-10 of this message (the same on every attempt, so a receiver drops a resend). */
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
  /** FT1-2: this transaction's own id (a charge's, or a credit's), at most 12 characters, never reused. */
  transactionId: string;
  /**
   * A credit: FT1-6 = CD, and PR1-19 names the charge it reverses by that charge's FT1-2 (PR1-20 = D).
   * Without it the message is a charge: FT1-6 = the charge's type (CG), PR1-19 = its own FT1-2, PR1-20 = A.
   */
  credit?: { chargeTransactionId: string };
  /** FT1-7 transaction code (charge master); defaults to the CPT code. */
  transactionCode?: string;
  /** FT1-7.2 text of the transaction code (FT1-8 is kept for backward compatibility only in v2.5.1). */
  description?: string;
  /** FT1-13 department code (CE identifier^text), when the billing system files charges by department. */
  department?: { code: string; text?: string };
  /** FT1-20 performed by (the laboratory or pathologist). */
  performedBy?: Hl7Person;
  /** FT1-21 ordered by. */
  orderedBy?: Hl7Person;
  /** FT1-26 procedure code modifiers (e.g. 26, TC, 59); default: the charge's own modifiers. */
  modifiers?: string[];
  /** PID-3.4, PID-5, PID-7, PID-8. */
  patient?: DftPatient;
  /** PV1-2 patient class; default O (outpatient). */
  patientClass?: string;
  /** IN1-2 plan and IN1-4 company name (IN1-3 is the charge's payer id). */
  payer?: { name?: string; plan?: string };
}

/**
 * Builds a DFT^P03 for one charge or credit, HL7 v2.5.1: MSH, EVN, PID, PV1, FT1, NTE (the charge's
 * UUID), PR1 (the charge line's identity and action), DG1 (one per diagnosis), IN1. No field that
 * v2.5.1 keeps for backward compatibility only (EVN-1, FT1-8, DG1-2). Segments are joined with CR.
 */
export function buildDftP03(charge: Charge, options: DftOptions): string {
  const ts = formatHl7DateTime(options.timestamp ?? new Date());
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
    encodeSegment('EVN', [undefined, ts]),
    pidSegment(charge, options),
    encodeSegment('PV1', ['1', options.patientClass ?? 'O']),
    ft1Segment(charge, options),
    encodeSegment('NTE', ['1', 'L', `chargeId ${charge.chargeId}`]),
    pr1Segment(charge, options),
    ...charge.diagnoses.map((d, i) => encodeSegment('DG1', [i + 1, undefined, [d, undefined, CODING_SYSTEMS.icd10], undefined, undefined, 'F'])),
    encodeSegment('IN1', ['1', insurancePlan(options.payer?.plan), [charge.payerId], options.payer?.name ? [options.payer.name] : undefined]),
  ];
  return segments.join('\r');
}

function pidSegment(charge: Charge, options: DftOptions): string {
  const p = options.patient;
  return encodeSegment('PID', [
    '1',
    undefined,
    patientIdentifier(charge.patientId, p?.identifierAuthority),
    undefined,
    patientName(p),
    undefined,
    p?.birthDate ? formatHl7DateTime(p.birthDate) : undefined,
    p?.administrativeSex,
  ]);
}

function ft1Segment(charge: Charge, options: DftOptions): string {
  const modifiers = options.modifiers ?? charge.modifiers ?? [];
  return encodeSegment('FT1', [
    '1', // 1 set id
    options.transactionId, // 2 transaction id (this charge's or this credit's own)
    undefined, // 3 batch id
    formatHl7DateTime(charge.dateOfService), // 4 transaction date = date of service
    formatHl7DateTime(charge.postedAt), // 5 posting date
    options.credit ? 'CD' : charge.transactionType, // 6 transaction type
    [options.transactionCode ?? charge.code, options.description], // 7 transaction code^text
    undefined, // 8 (B)
    undefined, // 9 (B)
    charge.units, // 10 quantity
    undefined, // 11
    undefined, // 12
    options.department ? [options.department.code, options.department.text] : undefined, // 13 department
    ...Array<undefined>(5).fill(undefined), // 14-18
    { repeat: charge.diagnoses.map((d) => [d, undefined, CODING_SYSTEMS.icd10]) }, // 19 diagnoses
    repeatOf(personXcn(options.performedBy)), // 20 performed by
    repeatOf(personXcn(options.orderedBy)), // 21 ordered by
    undefined, // 22
    [charge.accessionNumber], // 23 filler order number = accession
    undefined, // 24
    [charge.code, undefined, CODING_SYSTEMS.cpt], // 25 procedure code
    { repeat: modifiers.map((m) => [m, undefined, modifierCodingSystem(m)]) }, // 26 modifiers
  ]);
}

/**
 * PR1 of the FINANCIAL_PROCEDURE group: PR1-3 the procedure, PR1-5 the date of service, PR1-19 the
 * charge line's identifier (the charge's FT1-2, namespace = MSH-3) and PR1-20 its action: A for the
 * charge, D for the credit that deletes it.
 */
function pr1Segment(charge: Charge, options: DftOptions): string {
  const chargeTransactionId = options.credit ? options.credit.chargeTransactionId : options.transactionId;
  const fields: FieldInput[] = Array<FieldInput>(20).fill(undefined);
  fields[0] = '1';
  fields[2] = [charge.code, undefined, CODING_SYSTEMS.cpt];
  fields[4] = formatHl7DateTime(charge.dateOfService);
  fields[18] = [chargeTransactionId, options.sendingApplication ?? 'SLIDECHARGE'];
  fields[19] = options.credit ? 'D' : 'A';
  return encodeSegment('PR1', fields);
}

function repeatOf(value: ReturnType<typeof personXcn>) {
  return value ? { repeat: [value] } : undefined;
}
