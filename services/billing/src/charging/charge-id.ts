import { createHash } from 'node:crypto';

/** RFC 4122 URL namespace: the names hashed below are URL-like ("slidecharge:charge:<chargeKey>"). */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Name-based (SHA-1, version 5) UUID of `name` in `namespace` (RFC 4122 section 4.3). */
export function uuidV5(name: string, namespace = URL_NAMESPACE): string {
  if (!UUID.test(namespace)) throw new Error(`namespace ${namespace} is not a UUID`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(Buffer.from(name, 'utf8'))
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The charge id of a charge key: the same key always gives the same id, in every process and after
 * any number of redeliveries, so a billing system drops repeats by chargeId.
 */
export function chargeIdFor(chargeKey: string): string {
  return uuidV5(`slidecharge:charge:${chargeKey}`);
}

/** The envelope eventId of the charge.posted event of a charge: also deterministic. */
export function chargePostedEventIdFor(chargeId: string): string {
  return uuidV5(`slidecharge:charge.posted:${chargeId}`);
}
