import { parseMessage } from './encoding';
import type { Hl7Segment } from '@medplum/core';
import type { AckCode } from './errors';
import { fieldMaxLength } from './field-limits';
import { buildAck, readRequestHeader, responseHead, type AckOptions, type RequestHeader } from './ack';

/**
 * The answer to an order (HL7 v2 chapter 4): ORR^O02 for ORM^O01, ORL^O22 for OML^O21, in original
 * acknowledgment mode; in enhanced mode (MSH-15/16 sent) a commit ACK (CA/CE/CR), since slidecharge
 * never opens a connection back to the LIS for a separate application acknowledgment.
 *
 * The order response is MSH, MSA, ERR, then the request's patient (PID-1/3/5/7/8, as sent) and one
 * ORC per request ORC echoing ORC-2 and ORC-3 with the response order control (table 0119): OK,
 * XR, CR when accepted (for NW, XO/XX/XR, CA/OC/CR); UA, UX, UC when refused. ORL^O22 (v2.5.1) nests
 * ORDER under PATIENT, so without a PID it carries no order groups.
 */

const RESPONSE_TYPES: Record<string, [string, string, string]> = {
  'ORM^O01': ['ORR', 'O02', 'ORR_O02'],
  'OML^O21': ['ORL', 'O22', 'ORL_O22'],
};

const ACCEPTED: Record<string, string> = { NW: 'OK', XO: 'XR', XX: 'XR', XR: 'XR', CA: 'CR', OC: 'CR', CR: 'CR' };
const REFUSED: Record<string, string> = { NW: 'UA', XO: 'UX', XX: 'UX', XR: 'UX', CA: 'UC', OC: 'UC', CR: 'UC' };

/** ORC-1 of the response for a request ORC-1 and the decision. */
export function responseOrderControl(requestControl: string, code: AckCode): string {
  return (code === 'AA' ? ACCEPTED : REFUSED)[requestControl.toUpperCase()] ?? (code === 'AA' ? 'OK' : 'UA');
}

/** A request field to echo as sent: '' when over its HL7 length or holding a control character. */
function echo(segment: Hl7Segment, field: number): string {
  const value = segment.getField(field)?.toString() ?? '';
  // eslint-disable-next-line no-control-regex
  return value.length <= fieldMaxLength(segment.name, field) && !/[\x00-\x1f\x7f]/.test(value) ? value : '';
}

/** The RESPONSE group: PID (identifying fields only) and an ORC per request ORC. */
function responseGroup(request: string, code: AckCode, nestedUnderPatient: boolean): string[] {
  const parsed = parseMessage(request);
  if (!parsed.ok) return [];
  const msg = parsed.message;
  const pid = msg.getSegment('PID');
  const orcs = msg.getAllSegments('ORC').map((orc) => {
    return `ORC|${[responseOrderControl(echo(orc, 1), code), echo(orc, 2), echo(orc, 3)].join('|')}`.replace(/\|+$/, '');
  });
  if (!pid) return nestedUnderPatient ? [] : orcs;
  const raw = (n: number) => echo(pid, n);
  const pidSegment = ['PID', raw(1), '', raw(3), '', raw(5), '', raw(7), raw(8)].join('|').replace(/\|+$/, '');
  return [pidSegment, ...orcs];
}

function rawDelimitersMatch(h: RequestHeader): boolean {
  // The echoed fields are copied as sent: only safe when the request used the standard delimiters.
  return h.msh?.context.fieldSeparator === '|' && h.msh.context.getMsh2() === '^~\\&';
}

/**
 * The response to an order request: enhanced mode -> commit ACK; ORM^O01 / OML^O21 in original mode
 * -> ORR^O02 / ORL^O22; anything else (a wrong message type, unreadable text) -> ACK.
 */
export function buildOrderResponse(request: string, options: AckOptions): string {
  const h = readRequestHeader(request);
  if (h.mode === 'enhanced') return buildAck(request, { ...options, enhanced: true });
  const type = RESPONSE_TYPES[`${h.type}^${h.trigger}`];
  if (!type) return buildAck(request, options);
  const head = responseHead(h, type, options, options.code);
  const group = rawDelimitersMatch(h) ? responseGroup(request, options.code, type[0] === 'ORL') : [];
  return [...head, ...group].join('\r');
}

