import { fixKafkajsIdleLoop, nextPendingCheckDelay, RequestQueueState } from './kafkajs-idle-loop-fix';

// kafkajs's own request queue (an internal module: the class the fix patches).
const RequestQueue = require('kafkajs/src/network/requestQueue') as new (options: Record<string, unknown>) => RequestQueueState;
const originalSchedule = RequestQueue.prototype.scheduleCheckPendingRequests;

const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const newQueue = () =>
  new RequestQueue({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'test', broker: 'localhost:9092', logger: quietLogger });

describe('nextPendingCheckDelay', () => {
  const now = 1_000_000;

  it('schedules nothing for a queue with nothing pending and no throttle in force (the idle loop)', () => {
    expect(nextPendingCheckDelay({ throttledUntil: -1, pending: [] }, now)).toBeUndefined();
    expect(nextPendingCheckDelay({ throttledUntil: now - 5, pending: [] }, now)).toBeUndefined();
  });

  it('checks pending requests at the end of a throttle, else after 10 ms as kafkajs does', () => {
    expect(nextPendingCheckDelay({ throttledUntil: now + 250, pending: [{}] }, now)).toBe(250);
    expect(nextPendingCheckDelay({ throttledUntil: -1, pending: [{}] }, now)).toBe(10);
  });

  it('still wakes at the end of a throttle in force with nothing pending yet', () => {
    expect(nextPendingCheckDelay({ throttledUntil: now + 40, pending: [] }, now)).toBe(40);
  });
});

describe("fixKafkajsIdleLoop on kafkajs's RequestQueue", () => {
  afterEach(() => jest.useRealTimers());

  it('kafkajs 2.2.4 as released schedules a check of an idle queue, and the next from it, without end', () => {
    jest.useFakeTimers();
    const queue = newQueue();
    originalSchedule.call(queue);
    expect(jest.getTimerCount()).toBe(1);
    // Each check (nothing to send) schedules the next one: the 1 ms loop.
    const checks = jest.spyOn(queue, 'checkPendingRequests').mockImplementation(function (this: RequestQueueState) {
      originalSchedule.call(this);
    });
    jest.advanceTimersByTime(50);
    expect(checks.mock.calls.length).toBeGreaterThanOrEqual(40);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('once fixed, an idle queue schedules nothing, and a throttled one with a pending request is checked when the throttle ends', () => {
    fixKafkajsIdleLoop();
    fixKafkajsIdleLoop(); // a second call changes nothing
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).not.toBe(originalSchedule);
    jest.useFakeTimers();
    const idle = newQueue();
    idle.checkPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);

    const throttled = newQueue();
    throttled.throttledUntil = Date.now() + 100;
    throttled.pending.push({});
    const checks = jest.spyOn(throttled, 'checkPendingRequests').mockImplementation(() => undefined);
    throttled.scheduleCheckPendingRequests();
    throttled.scheduleCheckPendingRequests(); // one check scheduled, not two
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(99);
    expect(checks).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(checks).toHaveBeenCalledTimes(1);
    expect(throttled.throttleCheckTimeoutId).toBeNull();
  });
});
