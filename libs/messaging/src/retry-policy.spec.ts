import { DEFAULT_RETRY_POLICY, retryBackoffTotalMs, retryDelays, retryPolicy } from './retry-policy';

describe('retry policy', () => {
  it('waits 16.2 s in all between 8 attempts by default', () => {
    expect(retryDelays(DEFAULT_RETRY_POLICY)).toEqual([200, 400, 800, 1600, 3200, 5000, 5000]);
    expect(retryBackoffTotalMs(DEFAULT_RETRY_POLICY)).toBe(16_200);
  });

  it('takes a consumer overrides and never waits longer than the largest delay', () => {
    const policy = retryPolicy({ maxAttempts: 4, retryDelayMs: 1000, maxRetryDelayMs: 1500 });
    expect(retryDelays(policy)).toEqual([1000, 1500, 1500]);
    expect(retryDelays(retryPolicy({ maxAttempts: 1 }))).toEqual([]);
  });

  it('refuses a policy that would never give up or has its delays upside down', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ maxAttempts: Infinity })).toThrow(/maxAttempts/);
    expect(() => retryPolicy({ retryDelayMs: 10_000, maxRetryDelayMs: 100 })).toThrow(/retryDelayMs/);
  });
});
