import type { AckCode, Hl7Error, Hl7Location, MllpItem, ParsedOrder } from '@slidecharge/hl7';
import { BarcodeConflictError, CaseCancelledError, CaseError, CaseNotFoundError, PatientMismatchError } from '../cases/case.errors';
import type { CaseOutcome } from '../cases/cases.service';

/**
 * The pure part of taking HL7 orders in: what to answer when the case store refuses, what an
 * accepted message's ACK says, and how bytes that were no message are described and stored.
 */

/** What became of a received message (column hl7_message.outcome). */
export const HL7_OUTCOMES = [
  'created',
  'updated',
  'unchanged',
  'cancelled',
  'already-cancelled',
  'refused',
  'invalid',
  'rejected',
  'duplicate',
  'error',
  'framing-error',
] as const;
export type Hl7Outcome = (typeof HL7_OUTCOMES)[number];

/** What one message got: the ACK sent back and why. */
export interface IntakeResult {
  ack: string;
  ackCode: AckCode;
  outcome: Hl7Outcome;
  /** hl7_message.id of the stored message (absent only when even storing it failed). */
  messageId?: number;
  accessionNumber?: string;
  caseVersion?: number;
}

const ACCESSION_FALLBACK: Hl7Location = { segment: 'ORC', sequence: 1, field: 3 };

/**
 * ERR segments for a refusal of the case store, at the place in the message the refused value came
 * from: the accession number (ORC-3 / OBR-3), a slide barcode (SAC-3), the patient (PID-3).
 */
export function caseErrorToHl7(error: CaseError, order: ParsedOrder): Hl7Error[] {
  const accession = order.locations['accessionNumber'] ?? ACCESSION_FALLBACK;
  if (error instanceof BarcodeConflictError) {
    return error.conflicts.map((c) => {
      const i = order.action === 'upsert' ? order.case.slides.findIndex((s) => s.barcode === c.barcode) : -1;
      const at = order.locations[`slides.${i}.barcode`] ?? accession;
      return { ...at, code: '205', message: `slide barcode ${c.barcode} already belongs to active case ${c.accessionNumber}` };
    });
  }
  if (error instanceof CaseNotFoundError) {
    return [{ ...accession, code: '204', message: `case ${error.accessionNumber} does not exist: nothing to cancel` }];
  }
  if (error instanceof CaseCancelledError) return [{ ...accession, code: '205', message: error.message }];
  if (error instanceof PatientMismatchError) {
    return [{ ...(order.locations['patientId'] ?? { segment: 'PID', sequence: 1, field: 3 }), code: '204', message: error.message }];
  }
  return [{ ...accession, code: '207', message: error.message }];
}

/** MSA-3 of an AA: what happened to the case, in a sentence. */
export function acceptedText(accessionNumber: string, outcome: CaseOutcome, version: number): string {
  switch (outcome) {
    case 'created':
      return `case ${accessionNumber} created (version ${version})`;
    case 'updated':
      return `case ${accessionNumber} updated (version ${version})`;
    case 'unchanged':
      return `case ${accessionNumber} unchanged (version ${version}): the order says what is stored`;
    case 'cancelled':
      return `case ${accessionNumber} cancelled (version ${version})`;
    case 'already-cancelled':
      return `case ${accessionNumber} was already cancelled (version ${version})`;
  }
}

/** The AE/AR outcome of a message the parser refused. */
export function refusedOutcome(ackCode: 'AE' | 'AR'): Hl7Outcome {
  return ackCode === 'AE' ? 'invalid' : 'rejected';
}

/** Postgres text cannot hold NUL: it is stored as U+FFFD (nothing else is changed). */
export function storableText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/**
 * Bytes that were not a message, as readable text for the record: printable ASCII and CR/LF/TAB as
 * they are, every other byte as \xHH.
 */
export function printableBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    out += (b >= 0x20 && b < 0x7f) || b === 0x0d || b === 0x0a || b === 0x09 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Whitespace or NUL between frames (some senders end frames with CR LF, or send NUL keep-alives): not worth an answer. */
export function isLineNoise(item: Extract<MllpItem, { kind: 'discarded' }>): boolean {
  return item.reason === 'outside-frame' && item.byteCount === item.bytes.length && [...item.bytes].every((b) => b === 0x0d || b === 0x0a || b === 0x20 || b === 0x09 || b === 0x00);
}

/** Why bytes that were not a complete frame are answered AR. */
export type FramingProblem =
  | { kind: 'outside-frame'; bytes: Buffer; byteCount: number }
  | { kind: 'unterminated-frame'; bytes: Buffer; byteCount: number }
  | { kind: 'frame-timeout'; bytes: Buffer; timeoutMs: number }
  | { kind: 'oversized'; limit: number };

/** The ERR of a framing problem (ERR-2 MSH^1^0: there is no field to point at) and its sentence. */
export function framingError(problem: FramingProblem): Hl7Error {
  const where = { segment: 'MSH', sequence: 1, field: 0 };
  switch (problem.kind) {
    case 'outside-frame':
      return { ...where, code: '100', message: `${problem.byteCount} bytes outside an MLLP frame: send each message as 0x0B, message, 0x1C 0x0D` };
    case 'unterminated-frame':
      return { ...where, code: '100', message: `an MLLP frame of ${problem.byteCount} bytes was not ended with 0x1C 0x0D before the next 0x0B: send the message again` };
    case 'frame-timeout':
      return { ...where, code: '100', message: `an MLLP frame was left open (no end 0x1C 0x0D, no bytes for ${problem.timeoutMs} ms, ${problem.bytes.length} bytes received): send the message again` };
    case 'oversized':
      return { ...where, code: '100', message: `message larger than ${problem.limit} bytes: not read` };
  }
}

/** What is stored as `raw` for a framing problem. */
export function framingRaw(problem: FramingProblem): string {
  return problem.kind === 'oversized' ? '' : printableBytes(problem.bytes);
}
