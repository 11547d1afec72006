import { Client, ClientConfig, Notification } from 'pg';
import { Logger } from './logger';

/** A Postgres channel name: a plain lower-case identifier (LISTEN takes an identifier, not a parameter). */
export function channelName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`bad channel name ${name}`);
  return name;
}

/** The channel an outbox table's insert trigger notifies (the trigger of each service's migration: 'outbox_' || schema). */
export const outboxChannel = (schema: string): string => channelName(`outbox_${schema}`);

export interface PgListenerOptions {
  /** The connection settings of the service's own pool (its DATABASE_URL), or a whole pg client config. */
  connection: string | ClientConfig;
  channels: readonly string[];
  logger: Logger;
  /** A notification arrived on one of the channels. */
  onNotify: (channel: string, payload: string | undefined) => void;
  /**
   * The listener is LISTENing now (first time, or again after a loss). Notifications sent while it was
   * down are lost: the caller looks for what it may have missed.
   */
  onListening?: () => void;
  /** The connection was lost (or could not be made); notifications are not arriving until onListening. */
  onDown?: (error: unknown) => void;
  /** First and longest wait before connecting again (default 250 ms, doubling to 10 s). */
  retryMs?: { first: number; max: number };
}

/**
 * LISTEN on a dedicated connection (never one of the pool's: a pooled connection goes back to the pool,
 * and a LISTEN on it would be lost or end up in someone else's session). Connects again with backoff
 * after an error or the end of the connection; `listening` says whether notifications are arriving.
 * Not for a transaction-pooling proxy (PgBouncer in transaction mode drops LISTEN): point it at Postgres.
 */
export class PgListener {
  private client: Client | undefined;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private connected = false;
  private readonly log: Logger;

  constructor(private readonly options: PgListenerOptions) {
    this.log = options.logger.child({ component: 'pg-listener', channels: options.channels });
    options.channels.forEach(channelName);
  }

  /** Whether notifications are arriving now. */
  get listening(): boolean {
    return this.connected;
  }

  /** Connects and LISTENs; resolves after the first attempt (connected or not: it keeps trying). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const config = typeof this.options.connection === 'string' ? { connectionString: this.options.connection } : this.options.connection;
    const client = new Client({ ...config, application_name: 'slidecharge-listener' });
    this.client = client;
    client.on('notification', (n: Notification) => this.options.onNotify(n.channel, n.payload));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      for (const channel of this.options.channels) await client.query(`LISTEN "${channel}"`);
    } catch (e) {
      this.lost(client, e);
      return;
    }
    if (this.client !== client) return;
    this.connected = true;
    this.attempt = 0;
    this.log.debug('listening');
    this.options.onListening?.();
  }

  /** Called once or more per lost client; only the current one counts. */
  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    const { first, max } = this.options.retryMs ?? { first: 250, max: 10_000 };
    const delay = Math.min(first * 2 ** this.attempt, max);
    this.attempt += 1;
    const level = wasConnected || this.attempt === 1 ? 'warn' : 'debug';
    this.log[level]({ err: error, retryInMs: delay }, 'notification connection lost or refused; connecting again');
    this.options.onDown?.(error);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}
