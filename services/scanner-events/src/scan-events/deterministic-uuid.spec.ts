import { z } from 'zod';
import { deterministicUuid, SCAN_EVENT_ID_NAMESPACE } from './deterministic-uuid';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('deterministicUuid', () => {
  it('matches the RFC 9562 version 5 reference value', () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com')
    expect(deterministicUuid(DNS_NAMESPACE, 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives the same id for the same name and different ids for different names or namespaces', () => {
    const a = deterministicUuid(SCAN_EVENT_ID_NAMESPACE, 'm-1');
    expect(deterministicUuid(SCAN_EVENT_ID_NAMESPACE, 'm-1')).toBe(a);
    expect(deterministicUuid(SCAN_EVENT_ID_NAMESPACE, 'm-2')).not.toBe(a);
    expect(deterministicUuid(DNS_NAMESPACE, 'm-1')).not.toBe(a);
  });

  it('produces version-5 RFC-variant UUIDs that the envelope schema accepts', () => {
    for (const name of ['x', 'ünïcödé', 'a'.repeat(128), '']) {
      const id = deterministicUuid(SCAN_EVENT_ID_NAMESPACE, name);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(z.uuid().safeParse(id).success).toBe(true);
    }
  });

  it('refuses a namespace that is not a UUID', () => {
    expect(() => deterministicUuid('scanner-events', 'm-1')).toThrow('namespace must be a UUID');
  });
});
