import { decide, idempotencyKeyFrom, isStoredStatus, requestFingerprint, StoredIdempotencyRecord } from './idempotency';

describe('idempotencyKeyFrom', () => {
  it('reads a key of 1-255 printable ASCII characters', () => {
    expect(idempotencyKeyFrom({})).toEqual({ kind: 'none' });
    expect(idempotencyKeyFrom({ 'idempotency-key': ' 4b0c6c1e-1f7a-4c55-9d0e-6a1b2f3c4d5e ' })).toEqual({ kind: 'key', key: '4b0c6c1e-1f7a-4c55-9d0e-6a1b2f3c4d5e' });
    expect(idempotencyKeyFrom({ 'idempotency-key': 'k'.repeat(255) })).toMatchObject({ kind: 'key' });
  });

  it('refuses an empty, long, spaced, non-ASCII or repeated key with a reason', () => {
    for (const value of ['', 'k'.repeat(256), 'two words', 'clé', ['a', 'b']]) {
      expect(idempotencyKeyFrom({ 'idempotency-key': value })).toMatchObject({ kind: 'invalid', reason: expect.any(String) });
    }
  });
});

describe('requestFingerprint', () => {
  it('is the same for the same method, path and body whatever the key order, and differs otherwise', () => {
    const a = requestFingerprint('POST', '/scan-events', { eventId: 'm-1', slideBarcode: 'S-1' });
    expect(requestFingerprint('post', '/scan-events', { slideBarcode: 'S-1', eventId: 'm-1' })).toBe(a);
    expect(requestFingerprint('POST', '/scan-events', { eventId: 'm-2', slideBarcode: 'S-1' })).not.toBe(a);
    expect(requestFingerprint('POST', '/scan-events/batch', { eventId: 'm-1', slideBarcode: 'S-1' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('counts a binary body by its bytes', () => {
    const bytes = Buffer.from([0, 1, 2, 3]);
    expect(requestFingerprint('POST', '/dicom/instances', bytes)).toBe(requestFingerprint('POST', '/dicom/instances', Buffer.from([0, 1, 2, 3])));
    expect(requestFingerprint('POST', '/dicom/instances', bytes)).not.toBe(requestFingerprint('POST', '/dicom/instances', Buffer.from([0, 1, 2, 4])));
    expect(requestFingerprint('POST', '/dicom/instances', bytes)).not.toBe(requestFingerprint('POST', '/dicom/instances', { 0: 0, 1: 1, 2: 2, 3: 3 }));
  });
});

describe('decide', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  const record = (over: Partial<StoredIdempotencyRecord> = {}): StoredIdempotencyRecord => ({
    requestHash: 'h1',
    method: 'POST',
    path: '/scan-events',
    statusCode: 202,
    responseBody: { eventId: 'm-1', status: 'accepted', scanId: 's-1' },
    createdAt: new Date(now.getTime() - 60_000),
    expiresAt: new Date(now.getTime() + 3_600_000),
    ...over,
  });

  it('replays the stored answer of the same request', () => {
    expect(decide(record(), 'h1', now)).toEqual({ kind: 'replay', statusCode: 202, body: { eventId: 'm-1', status: 'accepted', scanId: 's-1' } });
  });

  it('refuses another request under the same key, answered or still running', () => {
    expect(decide(record(), 'h2', now)).toEqual({ kind: 'mismatch' });
    expect(decide(record({ statusCode: null }), 'h2', now)).toEqual({ kind: 'mismatch' });
  });

  it('asks to wait while the first request runs, and takes over one that died', () => {
    expect(decide(record({ statusCode: null, createdAt: new Date(now.getTime() - 5_000) }), 'h1', now)).toEqual({ kind: 'in-progress' });
    expect(decide(record({ statusCode: null, createdAt: new Date(now.getTime() - 121_000) }), 'h1', now)).toEqual({ kind: 'take-over' });
  });

  it('forgets an expired key, whatever it held', () => {
    expect(decide(record({ expiresAt: now }), 'h2', now)).toEqual({ kind: 'take-over' });
    expect(decide(record({ expiresAt: new Date(now.getTime() - 1) }), 'h1', now)).toEqual({ kind: 'take-over' });
  });
});

describe('isStoredStatus', () => {
  it('keeps 2xx answers only', () => {
    expect([200, 201, 202, 204, 400, 401, 409, 422, 500].filter(isStoredStatus)).toEqual([200, 201, 202, 204]);
  });
});
