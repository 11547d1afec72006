import { normalizeAddress } from './sender-allow-list';

/**
 * Who may hold an MLLP connection: at most `maxConnections` open at once, at most `maxPerPeer` from
 * one address. Pure bookkeeping; the listener asks before it reads a byte and releases on close.
 */
export type AdmissionRefusal = 'max-connections' | 'max-connections-per-peer';

export class ConnectionLimiter {
  private readonly perPeer = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { maxConnections: number; maxPerPeer: number }) {}

  /** Takes a place for a connection from `address`, or says why there is none. */
  admit(address: string): { admitted: true; release: () => void } | { admitted: false; reason: AdmissionRefusal } {
    const peer = normalizeAddress(address);
    const fromPeer = this.perPeer.get(peer) ?? 0;
    if (this.total >= this.limits.maxConnections) return { admitted: false, reason: 'max-connections' };
    if (fromPeer >= this.limits.maxPerPeer) return { admitted: false, reason: 'max-connections-per-peer' };
    this.total++;
    this.perPeer.set(peer, fromPeer + 1);
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perPeer.get(peer) ?? 1) - 1;
        if (left > 0) this.perPeer.set(peer, left);
        else this.perPeer.delete(peer);
      },
    };
  }

  get open(): number {
    return this.total;
  }
}

/**
 * At most one log line per `intervalMs` for a repeated event (connections refused in a flood), with
 * the count of those not logged since: `take()` says whether to log now and how many were skipped.
 */
export class LogThrottle {
  private last = Number.NEGATIVE_INFINITY;
  private skipped = 0;

  constructor(private readonly intervalMs: number) {}

  take(now: number): { log: true; skipped: number } | { log: false } {
    if (now - this.last < this.intervalMs) {
      this.skipped++;
      return { log: false };
    }
    this.last = now;
    const skipped = this.skipped;
    this.skipped = 0;
    return { log: true, skipped };
  }
}
