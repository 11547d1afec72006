import { SENDER_LOCK_CLASS, senderLockKey } from './sender-lock';

describe('the DFT^P03 sender lock', () => {
  it('lives in a class of its own ("DFTP"), a positive int4 as pg_advisory_lock(int, int) takes', () => {
    expect(SENDER_LOCK_CLASS).toBe(Buffer.from('DFTP').readUInt32BE(0));
    expect(SENDER_LOCK_CLASS).toBeLessThan(2 ** 31);
  });

  it('draws its key among the positive int4s, the bounds included', () => {
    const bounds: [number, number][] = [];
    const draw = (min: number, max: number) => {
      bounds.push([min, max]);
      return max - 1;
    };
    expect(senderLockKey(draw)).toBe(2 ** 31 - 1);
    expect(senderLockKey((min) => min)).toBe(1);
    expect(bounds).toEqual([[1, 2 ** 31]]);
    for (let i = 0; i < 100; i++) {
      const key = senderLockKey();
      expect(Number.isInteger(key) && key >= 1 && key < 2 ** 31).toBe(true);
    }
  });
});
