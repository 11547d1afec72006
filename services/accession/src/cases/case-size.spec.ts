import { eventBytes } from './case-size';

describe('eventBytes', () => {
  it('counts the compact JSON in UTF-8 bytes (a multi-byte character counts as its bytes)', () => {
    expect(eventBytes({ a: 'x' })).toBe(9);
    expect(eventBytes({ a: 'é' })).toBe(10);
    expect(eventBytes({ a: '組織' })).toBe(14);
  });
});
