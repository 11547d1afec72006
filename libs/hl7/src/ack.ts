import type { Hl7Segment } from '@medplum/core';
import { encodeSegment, formatHl7DateTime, parseMessage, readValue } from './encoding';
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

const V23 = new Set(['2.1', '2.2', '2.3', '2.3.1', '2.4']);

/**
 * Builds the ACK for a request (its raw text). Sender and receiver are swapped, MSA-2 echoes MSH-10,
 * and each error becomes an ERR segment: ERR-2 segment^sequence^field, ERR-3 HL7 table 0357 code,
 * ERR-4 severity, ERR-8 user message. For v2.3/v2.4 requests ERR-1 (ELD) is filled too.
 * Works even for unparseable requests (then the header fields are empty). A request header field
 * over its HL7 length (a refused MSH-3 or MSH-10 of 3000 characters) is not echoed: left empty.
 */
export function buildAck(request: string, options: AckOptions): string {
  const parsed = parseMessage(request);
  const msh: Hl7Segment | undefined = parsed.ok ? parsed.message.getSegment('MSH') : undefined;
  const read = (field: number, component?: number) => {
    const value = readValue(msh, field, component);
    return value.length <= fieldMaxLength('MSH', field) ? value : '';
  };
  const controlId = read(10);
  const version = read(12, 1) || '2.5.1';
  const trigger = read(9, 2);
  const errors = options.errors ?? [];
  const now = options.timestamp ?? new Date();
  const text = options.text ?? (options.code === 'AA' ? HL7_ERROR_CODES['0'] : errors[0]?.message ?? HL7_ERROR_CODES['207']);

  const segments = [
    encodeSegment('MSH', [
      read(5), read(6), read(3), read(4),
      formatHl7DateTime(now),
      undefined,
      ['ACK', trigger || undefined, trigger ? 'ACK' : undefined],
      options.controlId ?? `ACK-${controlId || formatHl7DateTime(now).slice(0, 14)}`.slice(0, 20),
      read(11) || 'P',
      version,
    ]),
    encodeSegment('MSA', [options.code, controlId, text]),
    ...errors.map((e) =>
      encodeSegment('ERR', [
        V23.has(version) ? [e.segment, e.sequence, e.field, [e.code, HL7_ERROR_CODES[e.code], 'HL70357']] : undefined,
        [e.segment, e.sequence, e.field, e.repetition, e.component],
        [e.code, HL7_ERROR_CODES[e.code], 'HL70357'],
        e.severity ?? 'E',
        undefined,
        undefined,
        undefined,
        e.message,
      ]),
    ),
  ];
  return segments.join('\r');
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
}

/** Reads an ACK (ours or anyone's); undefined when the text has no MSH and MSA segment. Never throws. */
export function parseAck(text: string): ParsedAck | undefined {
  const parsed = parseMessage(text);
  if (!parsed.ok) return undefined;
  const msa = parsed.message.getSegment('MSA');
  if (!msa) return undefined;
  const errors = parsed.message.getAllSegments('ERR').map((e) => {
    const eld = e.getField(1)?.toString() ?? '';
    const erl = e.getField(2)?.toString() ?? '';
    return {
      location: erl || eld.split(e.context.componentSeparator).slice(0, 3).join(e.context.componentSeparator),
      code: readValue(e, 3, 1) || readValue(e, 1, 4, 1),
      severity: readValue(e, 4),
      message: readValue(e, 8),
    };
  });
  return { code: readValue(msa, 1).toUpperCase(), controlId: readValue(msa, 2), text: readValue(msa, 3), errors };
}
