import { createHash } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** RFC 9562 namespace for URLs (the standard one), used to derive this service's own namespace. */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * A name-based UUID (RFC 9562 version 5: SHA-1 of namespace bytes + UTF-8 name, with the version and
 * variant bits set). The same namespace and name always give the same UUID, so an id derived from an
 * external id survives retries and replays.
 */
export function deterministicUuid(namespace: string, name: string): string {
  if (!UUID_PATTERN.test(namespace)) throw new Error(`namespace must be a UUID, got "${namespace}"`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50; // version 5
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Namespace of the scan.events.v1 envelope ids that scanner-events derives from middleware event ids. */
export const SCAN_EVENT_ID_NAMESPACE = deterministicUuid(URL_NAMESPACE, 'urn:slidecharge:scanner-events');
