import { createHash } from 'node:crypto';
import { parseMessage, readValue } from '@slidecharge/hl7';
import { v5 as uuidV5 } from 'uuid';
import { URL_NAMESPACE } from '../charge/charge-id';

/**
 * The pure rules of DFT^P03 delivery: ids, backoff, reading an ACK and what happens after an attempt.
 * No I/O here; the worker (delivery.worker.ts) and the queue (delivery.repository.ts) apply them.
 */

/** A posted charge (FT1-6 = CG) or a credit reversing one (FT1-6 = CD). */
export type DeliveryKind = 'charge' | 'credit';
export type DeliveryState = 'pending' | 'in-flight' | 'acked' | 'failed';
export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'in-flight', 'acked', 'failed'];

/**
 * What one attempt came to. AA / CA: accepted (CA is the commit accept of enhanced mode: the billing
 * system has the message safely). AE / AR / CE / CR: refused. timeout: no ACK in time.
 * connection-error: no connection, or it broke before the ACK. invalid-ack: an answer that is not an
 * ACK of this message. internal-error: billing could not build or send the message (a bug: see logs).
 * interrupted: the sender stopped (crash) before an answer; the delivery was sent again once its sender
 * was found gone (its lock free) or its lease ran out.
 * not-sendable: billing did not send it: the case lacks a field HL7 v2.5.1 requires, or the message
 * fails the v2.5.1 check (the detail says which); it fails at once and is due again when a newer
 * version of the case arrives, or when retried by hand.
 */
export type AttemptOutcome =
  | 'AA'
  | 'CA'
  | 'AE'
  | 'AR'
  | 'CE'
  | 'CR'
  | 'timeout'
  | 'connection-error'
  | 'invalid-ack'
  | 'internal-error'
  | 'interrupted'
  | 'not-sendable';

export const ACCEPTED_OUTCOMES: readonly AttemptOutcome[] = ['AA', 'CA'];

/** The delivery id of a charge or credit: a name-based UUID, so queuing it twice is a no-op. */
export function deliveryIdFor(kind: DeliveryKind, subjectId: string): string {
  return uuidV5(`slidecharge:dft:${kind}:${subjectId.toLowerCase()}`, URL_NAMESPACE);
}

/** Crockford base 32: no I, L, O or U, so an id read aloud or retyped is not misread. */
const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * MSH-10 of a charge's (or credit's) DFT^P03: `SCG` (charge) or `SCD` (credit) and 17 base-32
 * characters of the SHA-256 of the kind and id (85 bits): 20 characters, the most HL7 v2.5.1 allows
 * in MSH-10, letters and digits only. The same charge always gets the same id, in every process and on
 * every attempt, so a billing system that drops repeats by MSH-10 drops a resend after a lost ACK.
 */
export function messageControlIdFor(kind: DeliveryKind, subjectId: string): string {
  const digest = createHash('sha256').update(`slidecharge:dft:${kind}:${subjectId.toLowerCase()}`).digest();
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < 17) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length === 17) break;
  }
  return `${kind === 'charge' ? 'SCG' : 'SCD'}${out}`;
}

export interface BackoffPolicy {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** The delay never grows past this. */
  maxMs: number;
}

/**
 * Delay before the next attempt after `failedAttempts` failures (1, 2, ...): base, 2 x base,
 * 4 x base, ... capped at max. No jitter: each billing process sends one message at a time, so
 * instances do not hammer a recovering billing system in step.
 */
export function backoffDelayMs(failedAttempts: number, policy: BackoffPolicy): number {
  const n = Math.max(1, Math.floor(failedAttempts));
  // 2^30 x base is beyond any sensible max: stop doubling before the number overflows.
  const factor = 2 ** Math.min(n - 1, 30);
  return Math.min(policy.maxMs, policy.baseMs * factor);
}

export interface AckReading {
  outcome: Extract<AttemptOutcome, 'AA' | 'CA' | 'AE' | 'AR' | 'CE' | 'CR' | 'invalid-ack'>;
  /** MSA-3, else the first ERR-8, else why the answer is not a valid ACK. */
  detail: string;
}

const ACK_CODES = new Set(['AA', 'CA', 'AE', 'AR', 'CE', 'CR']);

/**
 * Reads the billing system's answer to the DFT^P03 whose MSH-10 was `controlId`: MSA-1 is the
 * acknowledgment code, MSA-2 must echo the control id. Anything else is an invalid ACK (retried).
 */
export function interpretAck(text: string, controlId: string): AckReading {
  const parsed = parseMessage(text);
  if (!parsed.ok) return { outcome: 'invalid-ack', detail: `the answer is not an HL7 message: ${parsed.reason}` };
  const msa = parsed.message.getSegment('MSA');
  if (!msa) return { outcome: 'invalid-ack', detail: 'the answer has no MSA segment' };
  const code = readValue(msa, 1).toUpperCase();
  const echoed = readValue(msa, 2);
  if (!ACK_CODES.has(code)) return { outcome: 'invalid-ack', detail: `MSA-1 is "${code}", not an acknowledgment code (AA, AE, AR, CA, CE, CR)` };
  if (echoed !== controlId) return { outcome: 'invalid-ack', detail: `MSA-2 is "${echoed}", not this message's control id ${controlId}` };
  const text3 = readValue(msa, 3);
  const err8 = readValue(parsed.message.getSegment('ERR'), 8);
  return { outcome: code as AckReading['outcome'], detail: text3 || err8 || '' };
}

export interface RetryPolicy extends BackoffPolicy {
  /** After this many attempts without acceptance the delivery fails (until retried by hand). */
  maxAttempts: number;
}

export type NextStep =
  | { state: 'acked' }
  | { state: 'pending'; nextAttemptAt: Date; delayMs: number }
  | { state: 'failed' };

/** What happens to a delivery after its `attempt`-th attempt came to `outcome`. */
export function nextStepAfter(outcome: AttemptOutcome, attempt: number, policy: RetryPolicy, now: Date): NextStep {
  if (ACCEPTED_OUTCOMES.includes(outcome)) return { state: 'acked' };
  // The same case data builds the same refused message: trying again before the case changes is useless.
  if (outcome === 'not-sendable') return { state: 'failed' };
  if (attempt >= policy.maxAttempts) return { state: 'failed' };
  const delayMs = backoffDelayMs(attempt, policy);
  return { state: 'pending', nextAttemptAt: new Date(now.getTime() + delayMs), delayMs };
}

/**
 * How long a claim of `batch` deliveries is its sender's alone, whatever happens to the sender: each
 * message takes at most two ACK timeouts (connect, then the ACK), plus 5 s for the database work around
 * them. Past it another sender may take the claims (a sender that is alive but stuck). A sender that
 * died is found sooner, by its advisory lock (sender-lock.ts), except for the message it was sending.
 */
export function claimLeaseMs(batch: number, ackTimeoutMs: number): number {
  return batch * 2 * ackTimeoutMs + 5_000;
}

/**
 * What the sending window allows beyond the send itself: the mark's answer on its way back and the
 * start of the send. A sender whose mark took this long to answer does not send (the window could close
 * before its send ends).
 */
export const SENDING_MARK_MARGIN_MS = 2_000;

/**
 * How long after a sender marks a delivery as being sent the message may still be on the wire: connect
 * and ACK wait, two ACK timeouts, plus the margin. Until then nobody else sends it, even when its
 * sender's lock is gone.
 */
export function sendingWindowMs(ackTimeoutMs: number): number {
  return 2 * ackTimeoutMs + SENDING_MARK_MARGIN_MS;
}
