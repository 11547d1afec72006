import type { Hl7Message, Hl7Segment } from '@medplum/core';
import { unsafeCharacterIn } from '@slidecharge/contracts';
import { parseMessage, unescapeHl7 } from './encoding';
import type { Hl7Error } from './errors';

/**
 * How long each field of an order may be, and which characters it may hold. Checked before anything
 * else reads the message, so no value over its length or with a control character reaches a log,
 * an ERR text, a database column or a message sent on (a DFT^P03).
 */

/** One field the order intake reads or stores. */
export interface FieldLimit {
  segment: string;
  field: number;
  /** Most characters in one repetition of the field, as sent (separators and escape sequences included). */
  maxLength: number;
  /**
   * Free text (descriptions, reasons): TAB and line breaks (`\.br\`, `\X0A\`) are allowed. In every
   * other field that the intake reads, no control character is.
   */
  text?: boolean;
}

export interface FieldLimits {
  /** The fields the intake reads or stores. */
  fields: FieldLimit[];
  /**
   * Every other field of every segment: at most this many characters per repetition (65536, the
   * largest length HL7 v2 gives any data type: TX/FT). Such fields may hold TAB and line breaks, but
   * no other control character either.
   */
  otherFieldMaxLength: number;
  /** ERR segments reported at most; the rest are counted in one last ERR. */
  maxErrors: number;
}

/**
 * HL7 v2.5.1 lengths of the fields slidecharge reads, with two exceptions where v2.5.1's length is
 * below what LIS systems send: MSH-10 (20 in v2.5.1; GUIDs are common) and the order numbers ORC-2/3,
 * OBR-2/3 (22; an accession with its namespace is longer) get 199, the length v2.7 gives MSH-10 and
 * EI.1. MSH-3/4 (HD, 227), MSH-10 and ORC-3/OBR-3 also bound the key columns of hl7_message, whose
 * indexes hold at most 2704 bytes per row.
 */
export const DEFAULT_FIELD_LIMITS: FieldLimits = {
  fields: [
    { segment: 'MSH', field: 3, maxLength: 227 },
    { segment: 'MSH', field: 4, maxLength: 227 },
    { segment: 'MSH', field: 5, maxLength: 227 },
    { segment: 'MSH', field: 6, maxLength: 227 },
    { segment: 'MSH', field: 7, maxLength: 26 },
    { segment: 'MSH', field: 9, maxLength: 15 },
    { segment: 'MSH', field: 10, maxLength: 199 },
    { segment: 'MSH', field: 11, maxLength: 3 },
    { segment: 'MSH', field: 12, maxLength: 60 },
    { segment: 'PID', field: 2, maxLength: 20 },
    { segment: 'PID', field: 3, maxLength: 250 },
    { segment: 'IN1', field: 2, maxLength: 250, text: true },
    { segment: 'IN1', field: 3, maxLength: 250 },
    { segment: 'IN1', field: 4, maxLength: 250, text: true },
    { segment: 'ORC', field: 1, maxLength: 2 },
    { segment: 'ORC', field: 2, maxLength: 199 },
    { segment: 'ORC', field: 3, maxLength: 199 },
    { segment: 'ORC', field: 12, maxLength: 250, text: true },
    { segment: 'ORC', field: 16, maxLength: 250, text: true },
    { segment: 'OBR', field: 1, maxLength: 4 },
    { segment: 'OBR', field: 2, maxLength: 199 },
    { segment: 'OBR', field: 3, maxLength: 199 },
    { segment: 'OBR', field: 4, maxLength: 250, text: true },
    { segment: 'OBR', field: 7, maxLength: 26 },
    { segment: 'OBR', field: 15, maxLength: 300, text: true },
    { segment: 'OBR', field: 16, maxLength: 250, text: true },
    { segment: 'OBR', field: 27, maxLength: 200 },
    { segment: 'OBR', field: 44, maxLength: 250 },
    { segment: 'OBR', field: 45, maxLength: 250 },
    { segment: 'SPM', field: 2, maxLength: 80 },
    { segment: 'SPM', field: 4, maxLength: 250, text: true },
    { segment: 'SPM', field: 14, maxLength: 250, text: true },
    { segment: 'SPM', field: 17, maxLength: 53 },
    { segment: 'SAC', field: 3, maxLength: 80 },
    { segment: 'SAC', field: 4, maxLength: 80 },
    { segment: 'DG1', field: 3, maxLength: 250 },
  ],
  otherFieldMaxLength: 65_536,
  maxErrors: 20,
};

/** The length limit of a field (the specific one, else the general one). */
export function fieldMaxLength(segment: string, field: number, limits: FieldLimits = DEFAULT_FIELD_LIMITS): number {
  return limitOf(segment, field, limits)?.maxLength ?? limits.otherFieldMaxLength;
}

function limitOf(segment: string, field: number, limits: FieldLimits): FieldLimit | undefined {
  return limits.fields.find((l) => l.segment === segment && l.field === field);
}

/**
 * Every field over its length and every field holding a control character after unescaping
 * (`\X00\`, `\X0B\`, `\X1C\`, ...; TAB and line breaks only in text fields and fields the intake does
 * not read), as ERR code 102 naming segment^sequence^field (and repetition, component). One error per
 * field, at most `maxErrors`. The texts never quote the value. MSH-1 and MSH-2 (the delimiters) are
 * not checked.
 */
export function checkFieldLimits(message: Hl7Message, limits: FieldLimits = DEFAULT_FIELD_LIMITS): Hl7Error[] {
  const errors: Hl7Error[] = [];
  let more = 0;
  const sequences = new Map<string, number>();
  for (const segment of message.segments) {
    const sequence = (sequences.get(segment.name) ?? 0) + 1;
    sequences.set(segment.name, sequence);
    for (const n of fieldNumbers(segment)) {
      const problem = fieldProblem(segment, sequence, n, limits);
      if (!problem) continue;
      if (errors.length < limits.maxErrors) errors.push(problem);
      else more++;
    }
  }
  if (more > 0) {
    errors.push({ segment: 'MSH', sequence: 1, field: 0, code: '102', message: `${more} more fields are over their length or hold control characters` });
  }
  return errors;
}

/** checkFieldLimits of a message text; [] when the text is no HL7 message (the parser says why). */
export function checkMessageFields(text: string, limits: FieldLimits = DEFAULT_FIELD_LIMITS): Hl7Error[] {
  const parsed = parseMessage(text);
  return parsed.ok ? checkFieldLimits(parsed.message, limits) : [];
}

/** Field positions of a segment as HL7 numbers them (MSH-1/2, the delimiters, left out). */
function fieldNumbers(segment: Hl7Segment): number[] {
  const first = segment.name === 'MSH' ? 3 : 1;
  const last = segment.name === 'MSH' ? segment.fields.length : segment.fields.length - 1;
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
}

function fieldProblem(segment: Hl7Segment, sequence: number, n: number, limits: FieldLimits): Hl7Error | undefined {
  const field = segment.getField(n);
  if (!field) return undefined;
  const limit = limitOf(segment.name, n, limits);
  const maxLength = limit?.maxLength ?? limits.otherFieldMaxLength;
  const allowLineBreaks = limit ? limit.text === true : true;
  const ctx = segment.context;
  const name = `${segment.name}-${n}`;
  const repeats = field.components.length > 1;
  for (const [r, components] of field.components.entries()) {
    const at = { segment: segment.name, sequence, field: n, ...(repeats ? { repetition: r + 1 } : {}) };
    const length = components.join(ctx.componentSeparator).length;
    if (length > maxLength) {
      return { ...at, code: '102', message: `${name}${repeats ? ` repetition ${r + 1}` : ''} is ${length} characters long; at most ${maxLength} are accepted` };
    }
    for (const [c, component] of components.entries()) {
      for (const sub of component.split(ctx.subcomponentSeparator)) {
        const bad = unsafeCharacterIn(unescapeHl7(sub, ctx), allowLineBreaks);
        if (bad) {
          return {
            ...at,
            component: c + 1,
            code: '102',
            message: `${name}.${c + 1} contains ${bad.replace(/ at index \d+$/, '')} (escape sequences decoded): control characters are not accepted in this field`,
          };
        }
      }
    }
  }
  return undefined;
}
