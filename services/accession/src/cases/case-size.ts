/**
 * The size a case event has on Kafka: its value as compact JSON in UTF-8, as the outbox relay
 * publishes it. What ACCESSION_MAX_CASE_BYTES is compared with.
 */
export function eventBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}
