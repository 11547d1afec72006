import { OutgoingMessage } from './events';
import { KafkaBus } from './kafka-bus';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';

/**
 * The two raw-SQL calls the outbox and inbox need. A Prisma client or transaction client satisfies it,
 * so a service's state change, its outbox records and its consumed-event record share one transaction.
 */
export interface SqlExecutor {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export type RunInTransaction = <R>(fn: (tx: SqlExecutor) => Promise<R>) => Promise<R>;

const ident = (schema: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  return `"${schema}"`;
};

/**
 * Writes events to the service's outbox table ("<schema>".outbox) inside the caller's transaction.
 * The table's shape is the same in every service's Prisma schema (model OutboxMessage).
 */
export async function writeOutbox(tx: SqlExecutor, schema: string, messages: readonly OutgoingMessage[]): Promise<void> {
  for (const m of messages) {
    await tx.$executeRawUnsafe(
      `INSERT INTO ${ident(schema)}.outbox (id, topic, key, payload, headers) VALUES ($1::uuid, $2, $3, $4::jsonb, $5::jsonb)`,
      (m.value as { eventId: string }).eventId,
      m.topic,
      m.key,
      JSON.stringify(m.value),
      JSON.stringify(m.headers),
    );
  }
}

/**
 * Records that `consumer` has taken event `eventId` ("<schema>".consumed_event). Returns false when it
 * had already been taken: the caller then skips its effect, which makes redelivery harmless.
 */
export async function markConsumed(tx: SqlExecutor, schema: string, consumer: string, eventId: string, topic: string): Promise<boolean> {
  const inserted = await tx.$executeRawUnsafe(
    `INSERT INTO ${ident(schema)}.consumed_event (consumer, event_id, topic) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    consumer,
    eventId,
    topic,
  );
  return inserted === 1;
}

interface OutboxRow {
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
}

export interface OutboxRelayOptions {
  schema: string;
  bus: KafkaBus;
  transaction: RunInTransaction;
  logger: Logger;
  batchSize?: number;
  /** How often to look for new records when nobody called wake() (default 250 ms). */
  pollIntervalMs?: number;
}

/**
 * Publishes outbox records to Kafka in insertion order and marks them published. Records are locked
 * with FOR UPDATE SKIP LOCKED, so several instances can run side by side. A crash between the send and
 * the mark publishes a record again with the same eventId: delivery is at-least-once and consumers
 * drop repeats by eventId (and billing systems by chargeId).
 */
export class OutboxRelay {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private lastError: string | undefined;
  private readonly log: Logger;

  constructor(private readonly options: OutboxRelayOptions) {
    this.log = options.logger.child({ component: 'outbox-relay', schema: options.schema });
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Asks the relay to look now (call after committing a transaction that wrote to the outbox). */
  wake(): void {
    this.wakeUp?.();
  }

  healthy(): boolean {
    return this.loop !== undefined && this.lastError === undefined;
  }

  /** Finishes the batch in flight, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    this.loop = undefined;
  }

  /** Publishes one batch; returns how many records it published. */
  async relayOnce(): Promise<number> {
    const batchSize = this.options.batchSize ?? 200;
    const table = `${ident(this.options.schema)}.outbox`;
    return this.options.transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<OutboxRow[]>(
        `SELECT id::text AS id, topic, key, payload, headers FROM ${table}
          WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED`,
        batchSize,
      );
      if (rows.length === 0) return 0;
      try {
        await this.options.bus.publish(
          rows.map((r) => ({ topic: r.topic as OutgoingMessage['topic'], key: r.key, value: r.payload as OutgoingMessage['value'], headers: r.headers })),
        );
      } catch (e) {
        const message = (e as Error).message;
        await tx.$executeRawUnsafe(
          `UPDATE ${table} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`,
          rows.map((r) => r.id),
          message,
        );
        throw e;
      }
      await tx.$executeRawUnsafe(
        `UPDATE ${table} SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`,
        rows.map((r) => r.id),
      );
      messagingMetrics.outboxPending.inc({ schema: this.options.schema }, rows.length);
      return rows.length;
    });
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopping) {
      let published = 0;
      try {
        published = await this.relayOnce();
        this.lastError = undefined;
        backoff = 250;
      } catch (e) {
        this.lastError = (e as Error).message;
        this.log.error({ err: e }, 'outbox relay failed; will retry');
        await this.idle(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      if (published < (this.options.batchSize ?? 200)) await this.idle(this.options.pollIntervalMs ?? 250);
    }
  }

  private idle(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }
}
