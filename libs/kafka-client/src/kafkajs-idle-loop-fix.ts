/**
 * kafkajs 2.2.4 (its last release) keeps every broker connection's request queue in a loop of 1 ms
 * timers while it has nothing to send (tulios/kafkajs#1556, #1704; Node.js 24 prints it as
 * "TimeoutNegativeWarning: -17... is a negative number"): `scheduleCheckPendingRequests` computes the
 * next check as `throttledUntil - Date.now()`, which is hugely negative when the queue was never
 * throttled (`throttledUntil` is -1), and schedules it even when nothing is pending; the check then
 * schedules the next one. Measured here: about 1,500 wake-ups a second and 3.5% of a core per idle
 * service process, and the same work beside every burst.
 *
 * The fix is upstream's proposal (tulios/kafkajs#1667, never released): schedule a check only for
 * something to check, i.e. a pending request (at the end of a broker-requested throttle, else after
 * 10 ms as before), or the end of a throttle still in force; a queue with neither schedules nothing (a
 * request pushed later, or a response fulfilled, checks the queue again as before). Applied to
 * kafkajs's RequestQueue once, by kafkaClientOptions, through which every Kafka client of the project is
 * built; refused loudly for any other kafkajs version, whose code this was not checked against.
 */

/** The kafkajs version this fix replaces code of. */
export const KAFKAJS_VERSION_FIXED = '2.2.4';
/** kafkajs's own interval for re-checking pending requests (CHECK_PENDING_REQUESTS_INTERVAL in requestQueue). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The part of kafkajs's RequestQueue the fix reads and writes. */
export interface RequestQueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** The delay until the queue must be checked again, or undefined when nothing is to be checked later. */
export function nextPendingCheckDelay(queue: Pick<RequestQueueState, 'throttledUntil' | 'pending'>, now: number): number | undefined {
  const untilUnthrottled = queue.throttledUntil - now;
  if (queue.pending.length > 0) return untilUnthrottled > 0 ? untilUnthrottled : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  return untilUnthrottled > 0 ? untilUnthrottled : undefined;
}

/** RequestQueue.prototype.scheduleCheckPendingRequests, without the idle loop. */
export function scheduleCheckPendingRequests(this: RequestQueueState): void {
  if (this.throttleCheckTimeoutId) return;
  const delay = nextPendingCheckDelay(this, Date.now());
  if (delay === undefined) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, delay);
}

interface RequestQueueClass {
  prototype: RequestQueueState;
}

let applied = false;

/** Puts the fixed method on kafkajs's RequestQueue (once per process). Throws for a kafkajs other than 2.2.4. */
export function fixKafkajsIdleLoop(): void {
  if (applied) return;
  // kafkajs's internal module (not in its typings or its exports) and its package.json, read at run time.
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_VERSION_FIXED) {
    throw new Error(`kafkajs ${version} is installed; libs/kafka-client's fix of its idle timer loop was written for ${KAFKAJS_VERSION_FIXED}: check whether ${version} still needs it, then update kafkajs-idle-loop-fix.ts`);
  }
  const RequestQueue = require('kafkajs/src/network/requestQueue') as RequestQueueClass;
  RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
  applied = true;
}
