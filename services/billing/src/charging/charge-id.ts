import { v5 as uuidV5 } from 'uuid';

/** RFC 9562 URL namespace: the names hashed below are URL-like ("slidecharge:charge:<chargeKey>"). */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * The charge id of a charge key (name-based UUID, version 5): the same key always gives the same id,
 * in every process and after any number of redeliveries, so a billing system drops repeats by chargeId.
 */
export function chargeIdFor(chargeKey: string): string {
  return uuidV5(`slidecharge:charge:${chargeKey}`, URL_NAMESPACE);
}

/** The envelope eventId of the charge.posted event of a charge: also deterministic. */
export function chargePostedEventIdFor(chargeId: string): string {
  return uuidV5(`slidecharge:charge.posted:${chargeId}`, URL_NAMESPACE);
}
