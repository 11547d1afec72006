import { KafkaJSProtocolError } from 'kafkajs';

/**
 * Broker answers that refuse the records themselves: sending the same bytes again can never succeed
 * (too large for the broker or topic, not a valid record, failing its checksum, timestamp out of
 * range, a format the topic cannot hold). Anything else (broker down, leader moving, timeouts,
 * authorization, unknown topic) is about the cluster, not the record, and is worth retrying.
 * CORRUPT_MESSAGE is retried by kafkajs first; when it still comes back, it is the record.
 */
export const RECORD_REFUSALS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

/**
 * When `error` (from a send) says the broker refused the records for good, the refusal as
 * "TYPE: message"; otherwise undefined. Looks through kafkajs's wrappers (retries exceeded,
 * non-retriable) down to the broker's own error.
 */
export function brokerRefusal(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof KafkaJSProtocolError && RECORD_REFUSALS.has(e.type)) return `${e.type}: ${e.message}`;
  }
  return undefined;
}
