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

/**
 * The charge id of a key's n-th charge. Generation 1 is the key's own id (chargeIdFor), so ids posted
 * before reversals existed stay valid; a re-charge after a reversal (generation 2, 3...) gets its own id.
 */
export function chargeIdForGeneration(chargeKey: string, generation: number): string {
  return generation <= 1 ? chargeIdFor(chargeKey) : uuidV5(`slidecharge:charge:${chargeKey}#${generation}`, URL_NAMESPACE);
}

/** The credit id of a charge: a charge is credited at most once. */
export function creditIdFor(chargeId: string): string {
  return uuidV5(`slidecharge:credit:${chargeId}`, URL_NAMESPACE);
}

/** The envelope eventId of the charge.credited event of a credit. */
export function chargeCreditedEventIdFor(creditId: string): string {
  return uuidV5(`slidecharge:charge.credited:${creditId}`, URL_NAMESPACE);
}
