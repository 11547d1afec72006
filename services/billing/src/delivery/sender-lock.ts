import { randomInt } from 'node:crypto';
import { Client } from 'pg';
import type { Logger } from '@slidecharge/messaging';
import { preparedStatement } from '@slidecharge/service-kit';

/**
 * Class id of the DFT^P03 senders' advisory locks: "DFTP" in ASCII. Senders lock in the two-key form
 * pg_advisory_lock(class, key), which pg_locks lists with objsubid 2; every other advisory lock of the
 * codebase (charging's slides and cases, the policy seed, the database setup, ops-console's projection)
 * takes the one-key form (objsubid 1), so the two never meet.
 */
export const SENDER_LOCK_CLASS = 0x44465450;

/** A sender's key: a positive int4 (pg_locks shows objid as an unsigned oid; positive keys read the same either way). */
export function senderLockKey(random: (min: number, max: number) => number = randomInt): number {
  return random(1, 2 ** 31);
}

/** Keys tried before giving up when each is held already (another live sender drew it: about one chance in 2^31 each). */
const KEY_TRIES = 5;

/**
 * The advisory lock that tells the other senders this one is alive: a session-level lock on a
 * connection of its own, held from the first claim until shutdown. Its key is recorded on every claim
 * (billing.delivery.claimer_lock); when no session holds that key any more, the sender is gone (killed,
 * its host lost, its connection to Postgres lost) and another sender takes its claims without waiting
 * for their lease.
 *
 * A sender claims and marks the delivery it is about to send through this session only (query()), so:
 * - a sender claims only while it holds its lock (hold() first connects and locks when it holds none);
 * - once the session is gone it sends nothing more of what it claimed under it: the mark before each
 *   send fails (the session is gone), or finds the claim no longer its own (another sender took it), or
 *   does not find the lock on its session. The message already on the wire when the session went is
 *   covered by its sending_until, which the other senders wait for;
 * - the session is never re-established under the same key: a new session takes a new key, so claims
 *   made under the lost one read as a dead sender's, also to this sender (which may take them back
 *   itself, as a new claim).
 * A statement that fails on this session drops it (whatever the cause), for the same reason.
 */
export class SenderLock {
  private client: Client | undefined;
  private heldKey: number | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** The key this sender holds now, undefined while it holds none. */
  get key(): number | undefined {
    return this.heldKey;
  }

  /** Holds the lock (connecting and taking a fresh key when it holds none) and returns its key. Throws when Postgres cannot be reached. */
  async hold(): Promise<number> {
    if (this.client && this.heldKey !== undefined) return this.heldKey;
    const client = new Client({
      connectionString: this.connectionString,
      application_name: 'billing-delivery-lock',
      statement_timeout: this.timeoutMs,
      // A statement whose answer never comes (the network to Postgres gone silent) fails on this side too.
      query_timeout: this.timeoutMs,
      keepAlive: true,
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('the connection ended')));
    try {
      await client.connect();
      for (let i = 0; i < KEY_TRIES; i++) {
        const key = senderLockKey();
        const [row] = (await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [SENDER_LOCK_CLASS, key])).rows;
        if (row?.locked) {
          this.client = client;
          this.heldKey = key;
          this.logger.info({ senderLock: key }, 'DFT^P03 sender holds its advisory lock: its claims are taken over at once should it die');
          return key;
        }
      }
      throw new Error(`no free DFT^P03 sender lock key after ${KEY_TRIES} tries`);
    } catch (e) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  /**
   * One statement on the lock's session, which must still be the one that holds `key`. Never reconnects;
   * a failure drops the session (the next hold() takes a new key).
   */
  async query<T>(key: number, sql: string, ...values: unknown[]): Promise<T[]> {
    const client = this.client;
    if (!client || this.heldKey !== key) throw new Error('the DFT^P03 sender no longer holds the lock its claims were made under');
    try {
      return (await client.query(preparedStatement(sql, values))).rows as T[];
    } catch (e) {
      this.lost(client, e);
      throw e;
    }
  }

  /** Ends the session, which releases the lock (at shutdown, after the last claim was recorded or given back). */
  async release(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.heldKey = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    await client.end().catch(() => undefined);
  }

  /** Called once or more per lost client; only the current one counts. */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    const key = this.heldKey;
    this.client = undefined;
    this.heldKey = undefined;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.logger.warn(
      { err: error, senderLock: key },
      'DFT^P03 sender lost its advisory lock session: it sends nothing more of what it claimed under it (another sender may take those at once) and takes a new lock before it claims again',
    );
  }
}
