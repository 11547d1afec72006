import { z } from 'zod';
import { SCAN_EVENT_ID_NAMESPACE, scanEventIdFor } from './deterministic-uuid';

describe('scanEventIdFor', () => {
  it('is the version-5 UUID of the middleware event id in the scanner-events namespace', () => {
    // Python: ns = uuid.uuid5(uuid.NAMESPACE_URL, 'urn:slidecharge:scanner-events'); uuid.uuid5(ns, 'm-1')
    expect(SCAN_EVENT_ID_NAMESPACE).toBe('7a2a1daf-c538-59d0-a92f-058773526c1a');
    expect(scanEventIdFor('m-1')).toBe('9b71d12d-9107-53cc-a4bc-94a97215ccc0');
  });

  it('gives the same id for the same middleware event and different ids for different events', () => {
    expect(scanEventIdFor('m-1')).toBe(scanEventIdFor('m-1'));
    expect(scanEventIdFor('m-2')).not.toBe(scanEventIdFor('m-1'));
  });

  it('produces ids that the envelope schema accepts, whatever the middleware id looks like', () => {
    for (const name of ['x', 'ünïcödé', 'a'.repeat(128), '']) {
      expect(z.uuid().safeParse(scanEventIdFor(name)).success).toBe(true);
    }
  });
});
