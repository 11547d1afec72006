import { isEventStream, reconnectDelayMs } from './reconnect';

describe('live stream reconnection', () => {
  it('waits longer after each failure, never more than 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 50].map(reconnectDelayMs)).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    expect(reconnectDelayMs(0)).toBe(2000);
  });

  it('opens only on a 2xx event stream', () => {
    expect(isEventStream(200, 'text/event-stream; charset=utf-8')).toBe(true);
    expect(isEventStream(200, 'application/json')).toBe(false);
    expect(isEventStream(401, 'text/event-stream')).toBe(false);
    expect(isEventStream(502, null)).toBe(false);
  });
});
