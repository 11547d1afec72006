import { OUTBOX_RELAY_LOCK_CLASS, relayLockKey } from './outbox';

describe('the outbox relay lock', () => {
  it('is in a class of its own ("OUTB"), a positive int4 as pg_advisory_xact_lock(int, int) takes', () => {
    expect(Buffer.from(OUTBOX_RELAY_LOCK_CLASS.toString(16), 'hex').toString('ascii')).toBe('OUTB');
    expect(OUTBOX_RELAY_LOCK_CLASS).toBeLessThanOrEqual(0x7fffffff);
  });

  it('has one stable key per schema, each a positive int4, different for the services', () => {
    const schemas = ['accession', 'scanner', 'qc', 'billing'];
    const keys = schemas.map(relayLockKey);
    expect(new Set(keys).size).toBe(schemas.length);
    for (const key of keys) expect(Number.isInteger(key) && key >= 0 && key <= 0x7fffffff).toBe(true);
    expect(relayLockKey('billing')).toBe(relayLockKey('billing'));
  });
});
