import type { OpsLiveEvent } from '@slidecharge/contracts';

/** One server-sent event: its name and its JSON data on one line (JSON.stringify writes no newline). */
export function sseFrame(event: OpsLiveEvent): string {
  return `event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** A comment line: keeps proxies and the browser from timing the stream out. */
export const SSE_HEARTBEAT = ': heartbeat\n\n';

/** Which events a view of the stream carries: the wall screen never gets charge activity (it names accessions). */
export function carries(view: 'wall' | 'full', event: OpsLiveEvent['event']): boolean {
  return view === 'full' || event !== 'activity';
}

/** When a bearer token expires (its `exp`, already verified by the authentication middleware), or null. */
export function tokenExpiry(authorization: string | undefined): Date | null {
  const token = /^Bearer\s+([^.\s]+)\.([^.\s]+)\.[^.\s]*$/i.exec(authorization ?? '')?.[2];
  if (!token) return null;
  try {
    const { exp } = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

/**
 * When the next overview may go out: at once when the last one is at least `minGapMs` old, else when it
 * will be (changes in between are folded into that one).
 */
export function nextOverviewDelay(lastSentAt: number, now: number, minGapMs: number): number {
  return Math.max(0, lastSentAt + minGapMs - now);
}
