/**
 * How long a consumer keeps retrying a message whose handler fails before it dead-letters it as
 * processing-failed and moves on. The partition waits meanwhile, so this bounds how long one poison
 * message can hold it: the sum of the delays below plus the handler's own time for each attempt
 * (bounded by the service's transaction timeout). Messages the contract refuses, and handlers that
 * throw RejectedMessageError, are dead-lettered at once, without any retry.
 */
export interface RetryPolicy {
  /** Attempts of the handler, the first included (default 8). */
  maxAttempts: number;
  /** Delay after the first failure; doubled after each further one (default 200 ms). */
  initialDelayMs: number;
  /** Largest delay between two attempts (default 5 s). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, initialDelayMs: 200, maxDelayMs: 5000 };

/** The delays between attempts: maxAttempts - 1 of them (default: 200, 400, 800, 1600, 3200, 5000, 5000 ms). */
export function retryDelays(policy: RetryPolicy): number[] {
  const delays: number[] = [];
  let delay = policy.initialDelayMs;
  for (let attempt = 1; attempt < policy.maxAttempts; attempt++) {
    delays.push(Math.min(delay, policy.maxDelayMs));
    delay = Math.min(delay * 2, policy.maxDelayMs);
  }
  return delays;
}

/** Total waiting between attempts (default 16.2 s): what a poison message adds to its handler's own time. */
export function retryBackoffTotalMs(policy: RetryPolicy): number {
  return retryDelays(policy).reduce((sum, d) => sum + d, 0);
}

/** The policy with a consumer's overrides; refuses values that would never give up or never wait. */
export function retryPolicy(overrides: { maxAttempts?: number | undefined; retryDelayMs?: number | undefined; maxRetryDelayMs?: number | undefined }): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: overrides.maxAttempts ?? DEFAULT_RETRY_POLICY.maxAttempts,
    initialDelayMs: overrides.retryDelayMs ?? DEFAULT_RETRY_POLICY.initialDelayMs,
    maxDelayMs: overrides.maxRetryDelayMs ?? DEFAULT_RETRY_POLICY.maxDelayMs,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1 || policy.maxAttempts > 100) {
    throw new Error(`maxAttempts must be an integer from 1 to 100, got ${policy.maxAttempts}`);
  }
  if (!(policy.initialDelayMs >= 0) || !(policy.maxDelayMs >= policy.initialDelayMs)) {
    throw new Error(`retry delays must satisfy 0 <= retryDelayMs <= maxRetryDelayMs, got ${policy.initialDelayMs} and ${policy.maxDelayMs}`);
  }
  return policy;
}
