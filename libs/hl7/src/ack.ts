import type { Hl7Segment } from '@medplum/core';
import { encodeSegment, formatHl7DateTime, parseMessage, readValue } from './encoding';
import { HL7_ERROR_CODES, type AckCode, type Hl7Error } from './errors';

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
 * Works even for unparseable requests (then the header fields are empty).
 */
export function buildAck(request: string, options: AckOptions): string {
  const parsed = parseMessage(request);
  const msh: Hl7Segment | undefined = parsed.ok ? parsed.message.getSegment('MSH') : undefined;
  const controlId = readValue(msh, 10);
  const version = readValue(msh, 12, 1) || '2.5.1';
  const trigger = readValue(msh, 9, 2);
  const errors = options.errors ?? [];
  const now = options.timestamp ?? new Date();
  const text = options.text ?? (options.code === 'AA' ? HL7_ERROR_CODES['0'] : errors[0]?.message ?? HL7_ERROR_CODES['207']);

  const segments = [
    encodeSegment('MSH', [
      readValue(msh, 5), readValue(msh, 6), readValue(msh, 3), readValue(msh, 4),
      formatHl7DateTime(now),
      undefined,
      ['ACK', trigger || undefined, trigger ? 'ACK' : undefined],
      options.controlId ?? `ACK-${controlId || formatHl7DateTime(now).slice(0, 14)}`.slice(0, 20),
      readValue(msh, 11) || 'P',
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
