import { fieldMaxLength, type AckCode, type Hl7Error, type Hl7Location, type MessageHeader, type MllpItem, type ParsedOrder } from '@slidecharge/hl7';
import type { CaseSnapshot } from '@slidecharge/contracts';
import { BarcodeConflictError, CaseCancelledError, CaseError, CaseNotFoundError, CaseTooLargeError, PatientMismatchError } from '../cases/case.errors';
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
  'sender-not-allowed',
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
  if (error instanceof CaseTooLargeError) return [{ ...accession, code: '102', message: error.message }];
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

/** ERR-2 of the no-slide warning: the slide segment that is missing (sequence 0: absent). */
const NO_SLIDES_AT: Hl7Location = { segment: 'SAC', sequence: 0, field: 0 };

/** The MSA-3 / ERR-8 text of an accepted case without slides (80 characters at most: MSA-3 before v2.5). */
export const NO_SLIDES_WARNING = 'no slides known: scans cannot match until slides are sent';

/**
 * The warnings of an accepted order: the parser's, and one (severity W; MSA-3 before v2.5) when the
 * case as stored has no slide: its scans cannot be matched to it until an order or REST names them.
 */
export function acceptedWarnings(order: ParsedOrder, snapshot: Pick<CaseSnapshot, 'status' | 'slides'>): Hl7Error[] {
  if (snapshot.status !== 'active' || snapshot.slides.length > 0) return order.warnings;
  return [{ ...NO_SLIDES_AT, code: '0', severity: 'W', message: NO_SLIDES_WARNING }, ...order.warnings];
}

/** The AE/AR outcome of a message the parser refused. */
export function refusedOutcome(ackCode: 'AE' | 'AR'): Hl7Outcome {
  return ackCode === 'AE' ? 'invalid' : 'rejected';
}

/**
 * Postgres text cannot hold NUL: a NUL byte in a message is written as the HL7 escape `\X00\` (with
 * the message's escape character from MSH-2, else U+FFFD), nothing else is changed. The message is
 * then parsed as stored, so a NUL inside a field is refused like an escaped one (AE 102 naming it).
 */
export function storableText(text: string): string {
  if (!text.includes('\u0000')) return text;
  const start = text.startsWith('\uFEFF') ? 1 : 0;
  const escape = text.startsWith('MSH', start) ? text.charAt(start + 6) : '';
  const usable = escape !== '' && escape !== '\u0000' && !/[A-Za-z0-9\s]/.test(escape);
  return text.replaceAll('\u0000', usable ? `${escape}X00${escape}` : '\uFFFD');
}

/** Where a message came from: the connection's address (and client certificate over mutual TLS). */
export interface Hl7Peer {
  /** address:port, as stored in hl7_message.peer. */
  peer: string;
  /** The remote IP address (IPv4-mapped IPv6 addresses as plain IPv4). */
  address?: string;
  /** The verified client certificate (mutual TLS), if any. */
  certificate?: PeerCertificate;
}

export interface PeerCertificate {
  /** Subject common name. */
  subjectCN?: string;
  /** SHA-256 fingerprint, upper-case hex without separators. */
  sha256: string;
}

/** The certificate as stored in hl7_message.client_certificate: `CN=<cn> SHA256=<hex>`. */
export function describeCertificate(certificate: PeerCertificate | undefined): string | undefined {
  if (!certificate) return undefined;
  return `${certificate.subjectCN !== undefined ? `CN=${visibleControls(certificate.subjectCN).slice(0, 200)} ` : ''}SHA256=${certificate.sha256}`;
}

/** Control characters (C0, DEL) written as \Xhh\, so a stored or logged header value shows them. */
export function visibleControls(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? `\\X${code.toString(16).toUpperCase().padStart(2, '0')}\\` : ch;
  }
  return out;
}

/** The header columns of hl7_message, and the idempotency key when the header can hold one. */
export interface StorableHeader {
  sendingApplication: string;
  sendingFacility: string;
  controlId?: string;
  messageType?: string;
  version?: string;
  orderControl?: string;
  accessionNumber?: string;
  /**
   * MSH-3 + MSH-4 + MSH-10 as sent, when all three are within their HL7 lengths and MSH-10 is
   * non-empty and free of control characters. Undefined otherwise: such a message is refused (AR 102)
   * and stored without a key (control_id NULL), so it can neither overflow the key index nor hold a
   * key another message needs.
   */
  key?: { sendingApplication: string; sendingFacility: string; controlId: string };
}

/**
 * What of a message header may be stored in hl7_message's columns: each value cut to its HL7 length
 * with control characters made visible (\Xhh\); the raw text keeps the message whole.
 */
export function storableHeader(header: MessageHeader | undefined): StorableHeader {
  if (!header) return { sendingApplication: '', sendingFacility: '' };
  const column = (value: string, segment: string, field: number) => (value ? visibleControls(value).slice(0, fieldMaxLength(segment, field)) : undefined);
  const fits = (value: string, segment: string, field: number) => value.length <= fieldMaxLength(segment, field) && visibleControls(value) === value;
  const keyed = header.controlId !== '' && fits(header.sendingApplication, 'MSH', 3) && fits(header.sendingFacility, 'MSH', 4) && fits(header.controlId, 'MSH', 10);
  const stored: StorableHeader = {
    sendingApplication: column(header.sendingApplication, 'MSH', 3) ?? '',
    sendingFacility: column(header.sendingFacility, 'MSH', 4) ?? '',
    ...optional('messageType', column(header.messageType, 'MSH', 9)),
    ...optional('version', column(header.version, 'MSH', 12)),
    ...optional('orderControl', column(header.orderControl, 'ORC', 1)),
    ...optional('accessionNumber', column(header.accessionNumber, 'ORC', 3)),
  };
  if (!keyed) return stored;
  const key = { sendingApplication: header.sendingApplication, sendingFacility: header.sendingFacility, controlId: header.controlId };
  return { ...stored, controlId: header.controlId, key };
}

function optional<K extends string>(name: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [name]: value } as Record<K, string>);
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
      return {
        ...where,
        code: '100',
        message: `an MLLP frame was left open: not ended with 0x1C 0x0D within ${problem.timeoutMs} ms of its first byte (${problem.bytes.length} bytes received); send the message again`,
      };
    case 'oversized':
      return { ...where, code: '100', message: `message larger than ${problem.limit} bytes: not read` };
  }
}

/** What is stored as `raw` for a framing problem. */
export function framingRaw(problem: FramingProblem): string {
  return problem.kind === 'oversized' ? '' : printableBytes(problem.bytes);
}

/**
 * An error as it may be logged: its type, code and last line (where Prisma and pg put the reason), cut
 * to 300 characters; never the whole error, whose detail or query arguments can quote the message.
 */
export function safeError(error: unknown): { type: string; code?: string; message: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: 'non-Error thrown' };
  const code = (error as { code?: unknown }).code;
  const lines = error.message.split('\n').filter((l) => l.trim() !== '');
  return {
    type: error.constructor.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: (lines.at(-1) ?? '').trim().slice(0, 300),
  };
}
