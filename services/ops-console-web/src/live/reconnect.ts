/** Milliseconds to wait before reconnecting the live stream: 2 s, 4 s, ... up to 30 s while the server stays away. */
export function reconnectDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(1, Math.min(failures, 5)));
}

/** Whether an answer opens the event stream (anything else is retried: a 502 while the server restarts, a 401 before the renewed token). */
export function isEventStream(status: number, contentType: string | null): boolean {
  return status >= 200 && status < 300 && (contentType ?? '').toLowerCase().startsWith('text/event-stream');
}
