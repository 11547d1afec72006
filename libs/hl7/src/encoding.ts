import { Hl7Context, Hl7Message, Hl7Segment } from '@medplum/core';

/**
 * HL7 v2 text encoding on top of @medplum/core's Hl7Message (which splits segments, fields,
 * repetitions, components and subcomponents but leaves escape sequences as they are).
 */

export const DEFAULT_CONTEXT = new Hl7Context();

/** Decodes HL7 escape sequences (\F\ \S\ \T\ \R\ \E\ \Xhh..\ \.br\) in one already-split value. */
export function unescapeHl7(text: string, ctx: Hl7Context = DEFAULT_CONTEXT): string {
  const esc = ctx.escapeCharacter;
  if (!esc || !text.includes(esc)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch !== esc) {
      out += ch;
      i++;
      continue;
    }
    const end = text.indexOf(esc, i + 1);
    if (end < 0) {
      // A lone escape character: keep it as text (tolerant).
      out += text.slice(i);
      break;
    }
    const seq = text.slice(i + 1, end);
    out += decodeSequence(seq, ctx) ?? `${esc}${seq}${esc}`;
    i = end + 1;
  }
  return out;
}

function decodeSequence(seq: string, ctx: Hl7Context): string | undefined {
  switch (seq) {
    case 'F':
      return ctx.fieldSeparator;
    case 'S':
      return ctx.componentSeparator;
    case 'T':
      return ctx.subcomponentSeparator;
    case 'R':
      return ctx.repetitionSeparator;
    case 'E':
      return ctx.escapeCharacter;
    case '.br':
      return '\n';
    case 'H':
    case 'N':
      return ''; // highlighting on/off: formatting only
    default:
      if (/^X([0-9A-Fa-f]{2})+$/.test(seq)) {
        return Buffer.from(seq.slice(1), 'hex').toString('utf8');
      }
      return undefined;
  }
}

/**
 * Encodes the delimiters, line breaks and control characters inside one value so it survives as a
 * single component: delimiters as \F\ \S\ \T\ \R\ \E\, CR/LF as \.br\, and every other C0 control
 * character and DEL as \Xhh\. So no value written with it can carry 0x0B or 0x1C (the MLLP frame
 * bytes), a NUL or a raw segment terminator into a message.
 */
export function escapeHl7(text: string, ctx: Hl7Context = DEFAULT_CONTEXT): string {
  const map = new Map<string, string>([
    [ctx.escapeCharacter, 'E'],
    [ctx.fieldSeparator, 'F'],
    [ctx.componentSeparator, 'S'],
    [ctx.subcomponentSeparator, 'T'],
    [ctx.repetitionSeparator, 'R'],
  ]);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    const code = map.get(ch);
    if (code) out += `${ctx.escapeCharacter}${code}${ctx.escapeCharacter}`;
    else if (ch === '\r' && text.charAt(i + 1) === '\n') {
      out += `${ctx.escapeCharacter}.br${ctx.escapeCharacter}`;
      i++;
    } else if (ch === '\r' || ch === '\n') out += `${ctx.escapeCharacter}.br${ctx.escapeCharacter}`;
    else if (isControl(ch)) out += `${ctx.escapeCharacter}X${hexByte(ch)}${ctx.escapeCharacter}`;
    else out += ch;
  }
  return out;
}

const BOM = '\uFEFF';
const VT = String.fromCharCode(0x0b);
const FS = String.fromCharCode(0x1c);

/** The text without leading BOM/0x0B and trailing 0x1C/whitespace (what is left of an MLLP frame). */
function trimFraming(text: string): string {
  let start = 0;
  while (start < text.length && (text[start] === BOM || text[start] === VT)) start++;
  let end = text.length;
  while (end > start && (text[end - 1] === FS || /\s/.test(text[end - 1] ?? ''))) end--;
  return text.slice(start, end);
}

/** A C0 control character (U+0000-U+001F) or DEL. */
function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

const hexByte = (ch: string) => ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0');

/**
 * Normalizes transport noise before parsing: MLLP framing bytes left at the start (0x0B, a BOM) or
 * the end (0x1C), LF or CRLF segment terminators and blank lines. Returns segments joined by CR.
 * A 0x0B or 0x1C inside the text stays: inside a field it is refused (checkFieldLimits), never
 * silently dropped.
 */
export function normalizeMessageText(text: string): string {
  return trimFraming(text)
    .split(/\r\n|\r|\n/)
    .map((s) => s.replace(/\s+$/, ''))
    .filter((s) => s.length > 0)
    .join('\r');
}

export type ParsedMessage = { ok: true; message: Hl7Message } | { ok: false; reason: string };

/** Parses HL7 v2 text (tolerant of LF/CRLF, framing bytes, blank lines); never throws. */
export function parseMessage(text: string): ParsedMessage {
  const normalized = normalizeMessageText(text);
  if (!/^MSH.{5}/s.test(normalized)) return { ok: false, reason: 'the message does not start with an MSH segment' };
  try {
    return { ok: true, message: Hl7Message.parse(normalized) };
  } catch (e: unknown) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

/** Number of repetitions of a field (0 when the field is absent or empty). */
export function repetitionCount(segment: Hl7Segment | undefined, field: number): number {
  const f = segment?.getField(field);
  if (!f) return 0;
  if (f.components.length === 1 && (f.components[0] ?? []).every((c) => c === '')) return 0;
  return f.components.length;
}

/**
 * One value, decoded: segment-field.component.subcomponent of the given repetition (all 1-based
 * except repetition, which is 0-based as in @medplum/core). Missing parts read as ''.
 */
export function readValue(segment: Hl7Segment | undefined, field: number, component = 1, subcomponent = 1, repetition = 0): string {
  if (!segment) return '';
  const f = segment.getField(field);
  if (!f) return '';
  if (segment.name === 'MSH' && field <= 2) return f.toString();
  if (repetition >= f.components.length) return '';
  const raw = f.getComponent(component, subcomponent - 1, repetition) ?? '';
  return unescapeHl7(raw, segment.context).trim();
}

/** One component/subcomponent input when building a field. */
export type ComponentInput = string | number | undefined | null;
/** A field: a single value, a list of components (a nested list = subcomponents), or repetitions. */
export type FieldInput = ComponentInput | (ComponentInput | ComponentInput[])[] | { repeat: (ComponentInput | (ComponentInput | ComponentInput[])[])[] };

function encodeComponent(c: ComponentInput | ComponentInput[], ctx: Hl7Context): string {
  if (Array.isArray(c)) return trimEmpty(c.map((s) => encodeComponent(s, ctx))).join(ctx.subcomponentSeparator);
  if (c === undefined || c === null) return '';
  return escapeHl7(String(c), ctx);
}

function encodeRepetition(r: ComponentInput | (ComponentInput | ComponentInput[])[], ctx: Hl7Context): string {
  if (Array.isArray(r)) return trimEmpty(r.map((c) => encodeComponent(c, ctx))).join(ctx.componentSeparator);
  return encodeComponent(r, ctx);
}

function trimEmpty(parts: string[]): string[] {
  let n = parts.length;
  while (n > 0 && parts[n - 1] === '') n--;
  return parts.slice(0, n);
}

export function encodeField(value: FieldInput, ctx: Hl7Context = DEFAULT_CONTEXT): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return trimEmpty(value.repeat.map((r) => encodeRepetition(r, ctx))).join(ctx.repetitionSeparator);
  }
  return encodeRepetition(value, ctx);
}

/**
 * Builds one segment's text. `fields[0]` is field 1 (for MSH: MSH-3, since MSH-1 and MSH-2 are the
 * delimiters and are written for you). Trailing empty fields are dropped.
 */
export function encodeSegment(name: string, fields: FieldInput[], ctx: Hl7Context = DEFAULT_CONTEXT): string {
  const encoded = trimEmpty(fields.map((f) => encodeField(f, ctx)));
  if (name === 'MSH') return [`MSH${ctx.fieldSeparator}${ctx.getMsh2()}`, ...encoded].join(ctx.fieldSeparator);
  return [name, ...encoded].join(ctx.fieldSeparator);
}

/** HL7 DTM from a Date (UTC, with +0000) or an ISO date (YYYY-MM-DD -> YYYYMMDD). */
export function formatHl7DateTime(value: Date | string): string {
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value.replace(/-/g, '');
    value = new Date(value);
  }
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(value.getUTCFullYear(), 4)}${p(value.getUTCMonth() + 1)}${p(value.getUTCDate())}` +
    `${p(value.getUTCHours())}${p(value.getUTCMinutes())}${p(value.getUTCSeconds())}+0000`
  );
}

/** The calendar date (YYYY-MM-DD) of an HL7 TS/DTM value, or undefined when it is not one. */
export function hl7DateToIso(value: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d] = m;
  const iso = `${y}-${mo}-${d}`;
  const dt = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(dt.getTime()) || dt.toISOString().slice(0, 10) !== iso) return undefined;
  return iso;
}
