import { v5 as uuidV5 } from 'uuid';

/** RFC 9562 namespace for URLs (the standard one), used to derive this service's own namespace. */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * Namespace of the scan.events.v1 envelope ids that scanner-events derives (name-based UUID, version 5)
 * from middleware event ids: the same middleware event always gives the same scan event id, so an id
 * derived from an external id survives retries and replays.
 */
export const SCAN_EVENT_ID_NAMESPACE = uuidV5('urn:slidecharge:scanner-events', URL_NAMESPACE);

export const scanEventIdFor = (middlewareEventId: string): string => uuidV5(middlewareEventId, SCAN_EVENT_ID_NAMESPACE);
