import type { Hl7Message } from '@medplum/core';
import { parseMessage, readValue } from './encoding';
import { charsetEncoding } from './encoding-charset';
import type { Hl7Error } from './errors';
import type { OrderMapping } from './order-mapping';
import { err, type SegRef } from './order-reading';

/** What the message header says, read as far as it can be; empty strings where it cannot. */
export interface MessageHeader {
  /** MSH-3 and MSH-4 as sent (all components), the sender's identity for MSH-10 idempotency. */
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-7 as sent. */
  dateTime: string;
  /** MSH-9 type^trigger, e.g. ORM^O01. */
  messageType: string;
  /** MSH-10 message control id. */
  controlId: string;
  /** MSH-11 processing id (P, T, D). */
  processingId: string;
  /** MSH-12 version id. */
  version: string;
  /** ORC-1 of the first ORC. */
  orderControl: string;
  /** First non-empty ORC-3.1 or OBR-3.1 (filler order number), unchecked. */
  accessionNumber: string;
}

function firstFiller(msg: Hl7Message): string {
  for (const seg of msg.segments) {
    if (seg.name !== 'ORC' && seg.name !== 'OBR') continue;
    const value = readValue(seg, 3, 1);
    if (value) return value;
  }
  return '';
}

/**
 * Reads the header fields of any HL7 v2 text (for storing and routing a message before, or instead
 * of, parsing it as an order). Never throws; `undefined` when the text has no MSH segment.
 */
export function readMessageHeader(text: string): MessageHeader | undefined {
  const parsed = parseMessage(text);
  if (!parsed.ok) return undefined;
  try {
    const msg = parsed.message;
    const msh = msg.getSegment('MSH');
    const whole = (field: number) => msh?.getField(field)?.toString().trim() ?? '';
    const type = readValue(msh, 9, 1);
    const trigger = readValue(msh, 9, 2);
    return {
      sendingApplication: whole(3),
      sendingFacility: whole(4),
      receivingApplication: whole(5),
      receivingFacility: whole(6),
      dateTime: readValue(msh, 7, 1),
      messageType: trigger ? `${type}^${trigger}` : type,
      controlId: readValue(msh, 10),
      processingId: readValue(msh, 11, 1),
      version: readValue(msh, 12, 1),
      orderControl: readValue(msg.getSegment('ORC'), 1).toUpperCase(),
      accessionNumber: firstFiller(msg),
    };
  } catch {
    return undefined;
  }
}

/** MSH of an order, read: the fields every answer needs. */
export interface OrderHeader {
  controlId: string;
  type: string;
  trigger: string;
  version: string;
}

export function readOrderHeader(msh: SegRef): OrderHeader {
  return {
    controlId: readValue(msh.seg, 10),
    type: readValue(msh.seg, 9, 1).toUpperCase(),
    trigger: readValue(msh.seg, 9, 2).toUpperCase(),
    version: readValue(msh.seg, 12, 1),
  };
}

const MSH = (field: number, component?: number) => ({ segment: 'MSH', sequence: 1, field, ...(component ? { component } : {}) });

function typeErrors(h: OrderHeader, m: OrderMapping): Hl7Error[] {
  if (!m.messageTypes.some((t) => t.type === h.type)) {
    const accepted = m.messageTypes.map((t) => `${t.type}^${t.trigger}`).join(' or ');
    return [err(MSH(9, 1), '200', `message type ${h.type || '(empty)'} is not accepted; send ${accepted}`)];
  }
  if (!m.messageTypes.some((t) => t.type === h.type && t.trigger === h.trigger)) {
    return [err(MSH(9, 2), '201', `trigger event ${h.trigger || '(empty)'} is not accepted for ${h.type}`)];
  }
  return [];
}

function charsetErrors(msh: SegRef, m: OrderMapping): Hl7Error[] {
  const charset = readValue(msh.seg, 18, 1);
  const known = m.characterSets ? m.characterSets.includes(charset.toUpperCase()) || charset === '' : charsetEncoding(charset) !== undefined;
  if (known) return [];
  return [err(MSH(18), '103', `character set ${charset} (MSH-18) is not supported; send ASCII, 8859/1 to 8859/9, UNICODE UTF-8 (HL7 table 0211)`)];
}

/** Message-level checks (MSH-10, MSH-9, MSH-12, MSH-18): any finding refuses the message with AR. */
export function checkOrderHeader(msh: SegRef, h: OrderHeader, m: OrderMapping): Hl7Error[] {
  const errors: Hl7Error[] = [];
  if (!h.controlId) errors.push(err(MSH(10), '101', 'MSH-10 message control id is required'));
  errors.push(...typeErrors(h, m));
  if (!m.supportedVersions.includes(h.version)) {
    errors.push(err(MSH(12), '203', `HL7 version ${h.version || '(empty)'} is not supported; supported: ${m.supportedVersions.join(', ')}`));
  }
  errors.push(...charsetErrors(msh, m));
  return errors;
}
