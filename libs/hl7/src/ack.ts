import type { Hl7Segment } from '@medplum/core';
import { encodeSegment, formatHl7DateTime, parseMessage, readValue, type FieldInput } from './encoding';
import { charsetEncoding } from './encoding-charset';
import { HL7_ERROR_CODES, type AckCode, type Hl7Error } from './errors';
import { fieldMaxLength } from './field-limits';

export interface AckOptions {
  code: AckCode;
  errors?: Hl7Error[];
  /** MSA-3 text; defaults to the first error's message or "Message accepted". */
  text?: string;
  /** MSH-10 of the ACK itself; defaults to ACK-<request control id>. */
  controlId?: string;
  /** MSH-7; defaults to now. */
  timestamp?: Date;
}

/** Original mode (MSH-15 and MSH-16 empty): one application response. Enhanced: a commit (accept) ACK. */
export type AcknowledgmentMode = 'original' | 'enhanced';

/** MSA-1 in enhanced mode: commit accept, commit error, commit reject. */
const COMMIT_CODES: Record<AckCode, string> = { AA: 'CA', AE: 'CE', AR: 'CR' };

/**
 * Versions whose MSH-9 is written type^trigger: v2.1-v2.3 have no MSH-9.3, and v2.3.1 defines it but
 * limits MSH-9 to 7 characters (15 from v2.4), which ORR^O02^ORR_O02 would exceed.
 */
const TWO_PART_MSH9 = new Set(['2.1', '2.2', '2.3', '2.3.1']);
/** Versions whose ERR has only ERR-1 (ELD, repeating); ERR-2..12 come with v2.5. */
const ELD_ONLY = new Set(['2.1', '2.2', '2.3', '2.3.1', '2.4']);
/** MSA-3 is 80 characters in every version (ERR-8 carries long texts from v2.5). */
const MSA3_LENGTH = 80;

/** What the response needs of its request, read safely (over-long header fields left out). */
export interface RequestHeader {
  msh: Hl7Segment | undefined;
  read(field: number, component?: number): string;
  controlId: string;
  version: string;
  type: string;
  trigger: string;
  mode: AcknowledgmentMode;
  /** MSH-18 when we can answer in it. */
  charset: string;
}

export function readRequestHeader(request: string): RequestHeader {
  const parsed = parseMessage(request);
  const msh = parsed.ok ? parsed.message.getSegment('MSH') : undefined;
  const read = (field: number, component?: number) => {
    const value = readValue(msh, field, component);
    return value.length <= fieldMaxLength('MSH', field) ? value : '';
  };
  const charset = read(18, 1);
  return {
    msh,
    read,
    controlId: read(10),
    version: read(12, 1) || '2.5.1',
    type: read(9, 1).toUpperCase(),
    trigger: read(9, 2).toUpperCase(),
    // MSH-15 accept acknowledgment type (AL, NE, ER, SU): the sender speaks enhanced mode.
    mode: read(15) || read(16) ? 'enhanced' : 'original',
    charset: charset && charsetEncoding(charset) ? charset : '',
  };
}

/** True for v2.5 and later ACK shapes (ERR-2..8, severity). */
export function hasErrorLocation(version: string): boolean {
  return !ELD_ONLY.has(version);
}

/** The response's MSH: sender and receiver swapped, MSH-9 shaped for the version, MSH-18 echoed. */
export function responseMsh(h: RequestHeader, type: [string, string, string], controlId: string | undefined, now: Date): string {
  const [code, trigger, structure] = type;
  const msh9 = TWO_PART_MSH9.has(h.version) ? [code, trigger || undefined] : [code, trigger || undefined, trigger ? structure : undefined];
  const fields: FieldInput[] = [
    h.read(5), h.read(6), h.read(3), h.read(4),
    formatHl7DateTime(now),
    undefined,
    msh9,
    controlId ?? `ACK-${h.controlId || formatHl7DateTime(now).slice(0, 14)}`.slice(0, 20),
    h.read(11) || 'P',
    h.version,
  ];
  if (h.charset) fields[15] = h.charset;
  return encodeSegment('MSH', fields);
}

const codedError = (e: Hl7Error) => [e.code, HL7_ERROR_CODES[e.code], 'HL70357'];

/**
 * ERR segments for the version: v2.5+ one ERR per finding (ERR-2 location, ERR-3 table 0357, ERR-4
 * severity, ERR-8 text); before v2.5 one ERR whose repeating ERR-1 (ELD) names each error, and
 * warnings (no severity there) are left to MSA-3.
 */
export function errorSegments(version: string, errors: Hl7Error[]): string[] {
  if (!hasErrorLocation(version)) {
    const real = errors.filter((e) => (e.severity ?? 'E') === 'E');
    if (!real.length) return [];
    return [encodeSegment('ERR', [{ repeat: real.map((e) => [e.segment, e.sequence, e.field, codedError(e)]) }])];
  }
  return errors.map((e) =>
    encodeSegment('ERR', [undefined, [e.segment, e.sequence, e.field, e.repetition, e.component], codedError(e), e.severity ?? 'E', undefined, undefined, undefined, e.message]),
  );
}

/** MSA-3: the given text, else the first error's (or, before v2.5, warning's) message; 80 characters at most. */
function msaText(h: RequestHeader, options: AckOptions): string {
  const errors = options.errors ?? [];
  const firstError = errors.find((e) => (e.severity ?? 'E') === 'E');
  const firstWarning = errors.find((e) => e.severity === 'W');
  const fallback = options.code === 'AA' ? HL7_ERROR_CODES['0'] : (firstError?.message ?? HL7_ERROR_CODES['207']);
  const legacyWarning = !hasErrorLocation(h.version) && options.code === 'AA' ? firstWarning?.message : undefined;
  return (legacyWarning ?? options.text ?? fallback).slice(0, MSA3_LENGTH);
}

/** MSH, MSA and ERR of any response; `ackCode` is MSA-1 as sent (AA.. or CA..). */
export function responseHead(h: RequestHeader, type: [string, string, string], options: AckOptions, ackCode: string): string[] {
  const now = options.timestamp ?? new Date();
  return [
    responseMsh(h, type, options.controlId, now),
    encodeSegment('MSA', [ackCode, h.controlId, msaText(h, options)]),
    ...errorSegments(h.version, options.errors ?? []),
  ];
}

/**
 * Builds the general acknowledgment (ACK) for a request (its raw text). Sender and receiver are
 * swapped, MSA-2 echoes MSH-10, errors become ERR segments shaped for the request's version (see
 * errorSegments), MSH-9 has 2 components before v2.4. `enhanced`: MSA-1 is the commit code (CA,
 * CE, CR) for the same decision. Works even for unparseable requests (then the header fields are
 * empty). A request header field over its HL7 length is not echoed: left empty.
 */
export function buildAck(request: string, options: AckOptions & { enhanced?: boolean }): string {
  const h = readRequestHeader(request);
  const code = options.enhanced ? COMMIT_CODES[options.code] : options.code;
  return responseHead(h, ['ACK', h.trigger, 'ACK'], options, code).join('\r');
}

/** One ERR segment of an ACK, read back. */
export interface AckError {
  /** ERR-2 as sent, e.g. ORC^1^3 (ERR-1 for v2.3/v2.4 ACKs that have no ERR-2). */
  location: string;
  /** ERR-3.1 (HL7 table 0357), or ERR-1.4.1 for older ACKs. */
  code: string;
  /** ERR-4 severity (E, W, I); '' when absent. */
  severity: string;
  /** ERR-8 user message ('' when absent). */
  message: string;
}

export interface ParsedAck {
  /** MSA-1: AA, AE, AR (or CA, CE, CR in enhanced mode). */
  code: string;
  /** MSA-2: the control id of the message acknowledged. */
  controlId: string;
  /** MSA-3 text message. */
  text: string;
  errors: AckError[];
  /** MSH-9 as type^trigger^structure (as many parts as sent). */
  messageType: string;
}

function readErr(e: Hl7Segment): AckError[] {
  const erl = e.getField(2)?.toString() ?? '';
  if (erl) return [{ location: erl, code: readValue(e, 3, 1), severity: readValue(e, 4), message: readValue(e, 8) }];
  const eld = e.getField(1);
  const reps = Math.max(1, eld?.components.length ?? 0);
  return Array.from({ length: reps }, (_, i) => ({
    location: [1, 2, 3].map((c) => eld?.getComponent(c, 0, i) ?? '').join(e.context.componentSeparator).replace(/\^+$/, ''),
    code: readValue(e, 1, 4, 1, i),
    severity: readValue(e, 4),
    message: readValue(e, 8),
  }));
}

/** Reads an ACK or order response (ours or anyone's); undefined without MSH and MSA. Never throws. */
export function parseAck(text: string): ParsedAck | undefined {
  const parsed = parseMessage(text);
  if (!parsed.ok) return undefined;
  const msa = parsed.message.getSegment('MSA');
  if (!msa) return undefined;
  const errors = parsed.message.getAllSegments('ERR').flatMap(readErr);
  const msh = parsed.message.getSegment('MSH');
  return { code: readValue(msa, 1).toUpperCase(), controlId: readValue(msa, 2), text: readValue(msa, 3), errors, messageType: msh?.getField(9)?.toString() ?? '' };
}
