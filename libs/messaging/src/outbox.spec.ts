import { OUTBOX_RELAY_LOCK_CLASS } from './outbox';

describe('the outbox relay lock', () => {
  it('is in a class of its own ("OUTB"), a positive int4 as pg_advisory_xact_lock(int, int) takes', () => {
    expect(Buffer.from(OUTBOX_RELAY_LOCK_CLASS.toString(16), 'hex').toString('ascii')).toBe('OUTB');
    expect(OUTBOX_RELAY_LOCK_CLASS).toBeLessThanOrEqual(0x7fffffff);
  });
});
