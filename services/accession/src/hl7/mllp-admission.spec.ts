import { ConnectionLimiter, LogThrottle } from './mllp-admission';

describe('ConnectionLimiter', () => {
  it('admits up to the total and the per-peer cap, counts IPv4-mapped addresses as the same peer, frees a place once per release', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 3, maxPerPeer: 2 });
    const a1 = limiter.admit('10.0.0.1');
    const a2 = limiter.admit('::ffff:10.0.0.1');
    expect([a1.admitted, a2.admitted]).toEqual([true, true]);
    expect(limiter.admit('10.0.0.1')).toEqual({ admitted: false, reason: 'max-connections-per-peer' });
    const b1 = limiter.admit('10.0.0.2');
    expect(b1.admitted).toBe(true);
    expect(limiter.admit('10.0.0.3')).toEqual({ admitted: false, reason: 'max-connections' });
    expect(limiter.open).toBe(3);
    if (!a1.admitted) throw new Error('admitted above');
    a1.release();
    a1.release();
    expect(limiter.open).toBe(2);
    expect(limiter.admit('10.0.0.1').admitted).toBe(true);
  });
});

describe('LogThrottle', () => {
  it('one line per interval, with the count of those skipped', () => {
    const throttle = new LogThrottle(1000);
    expect(throttle.take(0)).toEqual({ log: true, skipped: 0 });
    expect(throttle.take(10)).toEqual({ log: false });
    expect(throttle.take(999)).toEqual({ log: false });
    expect(throttle.take(1000)).toEqual({ log: true, skipped: 2 });
    expect(throttle.take(5000)).toEqual({ log: true, skipped: 0 });
  });
});
