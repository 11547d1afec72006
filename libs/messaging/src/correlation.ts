import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

interface CorrelationContext {
  correlationId: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

/** What the event envelope accepts as a correlation id: 1 to 128 printable ASCII characters. */
const ACCEPTABLE_CORRELATION_ID = /^[\x21-\x7e]{1,128}$/;

export interface AcceptedCorrelationId {
  correlationId: string;
  /** Set when the caller gave an id that could not be used: its length, for the log line (never the id itself). */
  replacedLength?: number;
}

/**
 * The caller's correlation id (HTTP header or Kafka header) when it is 1-128 printable ASCII
 * characters, else a new UUID. A bad correlation id is never a reason to refuse or lose an event:
 * it is replaced, and the caller logs the length of what it replaced.
 */
export function acceptCorrelationId(given: string | undefined): AcceptedCorrelationId {
  if (given !== undefined && ACCEPTABLE_CORRELATION_ID.test(given)) return { correlationId: given };
  return given === undefined || given === '' ? { correlationId: randomUUID() } : { correlationId: randomUUID(), replacedLength: given.length };
}

/**
 * Runs `fn` with a correlation id that every log line and every event produced inside it carries.
 * An id the event envelope would refuse is replaced by a new one.
 */
export function runWithCorrelation<T>(correlationId: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: acceptCorrelationId(correlationId).correlationId }, fn);
}

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
