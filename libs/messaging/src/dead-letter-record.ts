import { DeadLetter, DeadLetterReason, DeadLetterStoredOriginal, HEADERS } from '@slidecharge/contracts';

/**
 * Builds the dead-letter record for the Kafka topic so that it always fits the broker's size limit,
 * whatever the failed message carried. Pure.
 */

/** What failed, as read from Kafka. Every string here may come from a sender we do not trust. */
export interface FailedMessage {
  deadLetterId: string;
  failedAt: Date;
  service: string;
  consumerGroup: string;
  reason: DeadLetterReason;
  message: string;
  errors: readonly { path: string; message: string }[];
  source: { topic: string; partition: number; offset: string; key: string | null; timestamp: string; headers: Readonly<Record<string, string>> };
  value: Buffer | null;
  /** Where the whole original is kept (the consuming service's dead_letter table). */
  stored?: DeadLetterStoredOriginal;
}

/** Caps on the parts a sender controls. With them, a record without the original stays far below any budget allowed. */
export const DEAD_LETTER_CAPS = {
  headers: 16,
  headerNameChars: 64,
  headerValueChars: 256,
  keyChars: 256,
  messageChars: 1000,
  errors: 10,
  errorPathChars: 200,
  errorMessageChars: 300,
  previewBytes: 1024,
} as const;

/** Smallest and default size budget of one dead-letter record (value, key and headers), in bytes. */
export const DEAD_LETTER_MIN_RECORD_BYTES = 128 * 1024;
export const DEAD_LETTER_DEFAULT_RECORD_BYTES = 256 * 1024;

/** A Kafka record's own framing (lengths, offsets, timestamps, attributes), counted generously. */
const RECORD_OVERHEAD_BYTES = 512;

export interface DeadLetterRecord {
  key: string;
  value: DeadLetter;
  headers: Record<string, string>;
  /** Bytes of key, JSON value and headers plus framing: at most the budget it was built for. */
  bytes: number;
}

/** `text` cut to `max` UTF-16 units (not inside a surrogate pair), with how much was cut. */
export function capText(text: string, max: number): { text: string; cut: boolean } {
  if (text.length <= max) return { text, cut: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { text: `${text.slice(0, end)}...[${text.length - end} more characters]`, cut: true };
}

function capHeaders(headers: Readonly<Record<string, string>>): { headers: Record<string, string>; cut: boolean } {
  const entries = Object.entries(headers);
  let cut = entries.length > DEAD_LETTER_CAPS.headers;
  const out: Record<string, string> = {};
  for (const [name, value] of entries.slice(0, DEAD_LETTER_CAPS.headers)) {
    const n = capText(name, DEAD_LETTER_CAPS.headerNameChars);
    const v = capText(value, DEAD_LETTER_CAPS.headerValueChars);
    cut ||= n.cut || v.cut;
    out[n.text] = v.text;
  }
  return { headers: out, cut };
}

/** The first bytes of `value` as text, invalid UTF-8 replaced (a cut character at the end dropped). */
export function previewOf(value: Buffer, maxBytes: number = DEAD_LETTER_CAPS.previewBytes): string {
  return value.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
}

function measure(key: string, value: DeadLetter, headers: Record<string, string>): number {
  let bytes = RECORD_OVERHEAD_BYTES + Buffer.byteLength(key) + Buffer.byteLength(JSON.stringify(value));
  for (const [name, v] of Object.entries(headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(v);
  return bytes;
}

/** The ways to carry the original, from the most complete to none. */
function originalChoices(value: Buffer | null): Pick<DeadLetter, 'originalValue' | 'originalValueBase64'>[] {
  if (!value) return [{ originalValue: null, originalValueBase64: null }];
  const utf8 = value.toString('utf8');
  const exactText = Buffer.from(utf8, 'utf8').equals(value) ? utf8 : null;
  const base64 = value.toString('base64');
  const choices: Pick<DeadLetter, 'originalValue' | 'originalValueBase64'>[] = [{ originalValue: exactText, originalValueBase64: base64 }];
  choices.push(exactText !== null ? { originalValue: exactText, originalValueBase64: null } : { originalValue: null, originalValueBase64: base64 });
  return choices;
}

/**
 * The record for `failed` within `maxRecordBytes`: the original bytes in it when they fit (as text
 * and base64, else the one that is exact), else a preview and where the whole original is stored.
 * Sender-controlled parts are capped first, so the fallback always fits the smallest budget allowed.
 */
export function buildDeadLetterRecord(failed: FailedMessage, maxRecordBytes: number): DeadLetterRecord {
  const truncated: string[] = [];
  const key = capText(failed.source.key ?? '', DEAD_LETTER_CAPS.keyChars);
  const headers = capHeaders(failed.source.headers);
  const message = capText(failed.message, DEAD_LETTER_CAPS.messageChars);
  const errors = failed.errors.slice(0, DEAD_LETTER_CAPS.errors).map((e) => {
    const path = capText(e.path, DEAD_LETTER_CAPS.errorPathChars);
    const text = capText(e.message, DEAD_LETTER_CAPS.errorMessageChars);
    if (path.cut || text.cut) truncated.push('errors');
    return { path: path.text, message: text.text };
  });
  if (failed.errors.length > DEAD_LETTER_CAPS.errors) truncated.push('errors');
  if (key.cut) truncated.push('source.key');
  if (headers.cut) truncated.push('source.headers');
  if (message.cut) truncated.push('message');

  const base = {
    deadLetterId: failed.deadLetterId,
    failedAt: failed.failedAt.toISOString(),
    service: failed.service,
    consumerGroup: failed.consumerGroup,
    reason: failed.reason,
    message: message.text,
    errors,
    source: { ...failed.source, key: failed.source.key === null ? null : key.text, headers: headers.headers },
    ...(failed.stored ? { originalStored: failed.stored } : {}),
  };
  const recordKey = `${failed.source.topic}/${failed.source.partition}/${failed.source.offset}`;
  const recordHeaders = { ...headers.headers, [HEADERS.producer]: failed.service, 'x-dead-letter-reason': failed.reason };
  const withTruncated = (parts: string[]) => (parts.length ? { truncated: [...new Set(parts)] } : {});

  for (const original of originalChoices(failed.value)) {
    const value: DeadLetter = { ...base, ...original, originalTruncated: false, ...withTruncated(truncated) };
    const bytes = measure(recordKey, value, recordHeaders);
    if (bytes <= maxRecordBytes) return { key: recordKey, value, headers: recordHeaders, bytes };
  }
  const value: DeadLetter = {
    ...base,
    originalValue: null,
    originalValueBase64: null,
    originalTruncated: true,
    originalPreview: failed.value ? previewOf(failed.value) : '',
    ...withTruncated([...truncated, 'originalValue']),
  };
  return { key: recordKey, value, headers: recordHeaders, bytes: measure(recordKey, value, recordHeaders) };
}
