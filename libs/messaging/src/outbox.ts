import { Context, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { brokerRefusal } from './broker-refusal';
import { OutgoingMessage } from './events';
import type { KafkaBus } from './kafka-bus';
import { Logger } from './logger';
import { messagingMetrics, setOutboxBacklogSource } from './metrics';
import { deliverSplitting, DeliveryOutcome } from './outbox-batch';
import { outboxChannel, PgListener } from './pg-listener';
import { quoteSchema as ident, RunInTransaction, SqlExecutor } from './sql';
import { contextFromHeaders, slidechargeTracer, traceHeaders, withoutTraceHeaders } from './trace-context';

/**
 * Writes events to the service's outbox table ("<schema>".outbox) inside the caller's transaction.
 * The table's shape is the same in every service's Prisma schema (model OutboxMessage).
 */
export async function writeOutbox(tx: SqlExecutor, schema: string, messages: readonly OutgoingMessage[]): Promise<void> {
  if (messages.length === 0) return;
  // One statement for all of them (rows in the order given: seq follows it). The table's trigger
  // (outbox_notify, each service's migration) NOTIFYs the relay once per statement, at commit.
  await tx.$executeRawUnsafe(
    `INSERT INTO ${ident(schema)}.outbox (id, topic, key, payload, headers)
     SELECT id, topic, key, payload, headers
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::jsonb[], $5::jsonb[]) WITH ORDINALITY AS m(id, topic, key, payload, headers, n)
      ORDER BY n`,
    messages.map((m) => (m.value as { eventId: string }).eventId),
    messages.map((m) => m.topic),
    messages.map((m) => m.key),
    messages.map((m) => JSON.stringify(m.value)),
    messages.map((m) => JSON.stringify(m.headers)),
  );
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
  /** Most records in one batch (default 200). */
  batchSize?: number;
  /**
   * Most bytes in one batch (key + value + headers of each record, as stored; default 512 KiB). A
   * record larger than this goes alone. Keep it below the broker's message.max.bytes (1 MiB by default).
   */
  maxBatchBytes?: number;
  /** How often to look for new records when nobody called wake() and no notification channel is up (default 250 ms). */
  pollIntervalMs?: number;
  /**
   * LISTEN for the outbox table's insert notifications (channel outbox_<schema>) on a dedicated
   * connection with these settings (the service's DATABASE_URL): a record committed by any process
   * wakes the relay. While that connection is down the relay polls every pollIntervalMs.
   */
  listen?: { connection: string };
  /** While notifications arrive: the safety poll, so that a lost notification never strands a record (default 5 s). */
  safetyPollMs?: number;
  /**
   * Keep published records, marked published_at, for OutboxRetention to purge after its days (a copy
   * of what went out, for an investigation), instead of deleting them in the transaction that took
   * them (default: deleted). The mark writes five WAL records per record where the delete writes one: a
   * new row version, and an entry for it in each of the table's three indexes (docs/benchmarks.md).
   * Later, the purge deletes it anyway.
   */
  keepPublished?: boolean;
}

export const OUTBOX_DEFAULT_BATCH_BYTES = 512 * 1024;

/**
 * Class id of the outbox relays' advisory locks: "OUTB" in ASCII, apart from the DFT^P03 senders'
 * ("DFTP") and the one-key locks of billing. Relays lock in the two-key form (class, hashtext(schema)):
 * the key derived by Postgres, as the project's other advisory locks derive theirs.
 */
export const OUTBOX_RELAY_LOCK_CLASS = 0x4f555442;

/** What one pass of the relay did. */
export interface RelayPass {
  published: number;
  parked: number;
  /** More records were waiting than this pass took. */
  more: boolean;
}

/**
 * Publishes outbox records to Kafka in insertion order and deletes them (or marks them published, with
 * keepPublished), each in a producer span continuing the trace stored with it (its traceparent header).
 * A pass holds the schema's relay lock (a transaction-level advisory lock), so several instances can run
 * side by side: one publishes at a time, in order. A crash between the send and the delete (or the
 * mark) publishes a record again with the same eventId: delivery is at-least-once and consumers
 * drop repeats by eventId (and billing systems by chargeId).
 *
 * Batches are cut by bytes as well as by count, so records that each fit the broker's limit never fail
 * together. A record the broker refuses for good (too large, invalid: broker-refusal.ts) is parked
 * (parked_at, last_error), logged as an error for alerting and counted in slidecharge_outbox_parked,
 * and the relay goes on with the next ones; a batch refused as a whole is split to find it. An
 * operator fixes and re-queues a parked record (docs/operations.md). Errors about the cluster (broker
 * down) are retried with backoff, the batch kept in order. A published batch is deleted (or marked) in one statement.
 *
 * When it runs (start): woken by the outbox table's insert trigger (NOTIFY outbox_<schema>, at commit,
 * from any process) through a LISTEN on its own connection (`listen`), and by wake() in-process; a
 * wake-up during a pass makes another pass, so none is lost. A slow safety poll (safetyPollMs) covers a
 * notification lost anyway; while the LISTEN connection is down it polls fast (pollIntervalMs) and it
 * makes a pass whenever that connection comes back.
 */
export class OutboxRelay {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** A wake-up came while a pass was running: the next idle() returns at once. */
  private woken = false;
  private listener: PgListener | undefined;
  private idleWaiters: (() => void)[] = [];
  private lastError: string | undefined;
  private removeBacklogSource: (() => void) | undefined;
  private readonly table: string;
  private readonly log: Logger;

  constructor(private readonly options: OutboxRelayOptions) {
    this.table = `${ident(options.schema)}.outbox`;
    this.log = options.logger.child({ component: 'outbox-relay', schema: options.schema });
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.removeBacklogSource = setOutboxBacklogSource(this.options.schema, () => this.backlog().then((b) => b.backlog));
    this.listener = this.options.listen ? this.startListener(this.options.listen.connection) : undefined;
    this.loop = this.run();
  }

  /**
   * Asks the relay to look now (call after committing a transaction that wrote to the outbox). While
   * the relay LISTENs, the commit's own notification wakes it: this hint is dropped, or every commit
   * would make a second, empty pass.
   */
  wake(): void {
    if (!this.listening()) this.wakeNow();
  }

  private wakeNow(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Whether insert notifications are arriving (false without `listen`, or while its connection is down). */
  listening(): boolean {
    return this.listener?.listening ?? false;
  }

  /**
   * Resolves when the relay next waits with nothing left to publish while LISTENing: from then on, only a
   * notification (or wake()) makes it look before the safety poll. For tests and start-up probes.
   */
  idleListening(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Every notification wakes the relay; so does each (re)connection, for what was sent while it was down. */
  private startListener(connection: string): PgListener {
    const listener = new PgListener({
      connection,
      channels: [outboxChannel(this.options.schema)],
      logger: this.log,
      onNotify: () => this.wakeNow(),
      onListening: () => this.wakeNow(),
      onDown: () => this.wakeNow(),
    });
    void listener.start();
    return listener;
  }

  /** False while publishing fails for a reason worth retrying (broker down...); parked records do not count. */
  healthy(): boolean {
    return this.loop !== undefined && this.lastError === undefined;
  }

  /** Why the relay is not healthy, when it is not. */
  failure(): string | undefined {
    return this.lastError;
  }

  /** Finishes the batch in flight, then returns. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeNow();
    await this.loop;
    this.loop = undefined;
    await this.listener?.stop();
    this.listener = undefined;
    this.removeBacklogSource?.();
    this.removeBacklogSource = undefined;
  }

  /**
   * Records written and not yet published (parked ones not counted: they wait for an operator, see
   * parkedCount), and the age of the oldest of them. One cheap query (count over the unpublished rows).
   */
  async backlog(): Promise<{ backlog: number; oldestSeconds: number }> {
    const rows = await this.options.transaction((tx) =>
      tx.$queryRawUnsafe<{ backlog: number; oldest_seconds: number | null }[]>(
        `SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM now() - min(created_at))::float AS oldest_seconds
           FROM ${this.table} WHERE published_at IS NULL AND parked_at IS NULL`,
      ),
    );
    const backlog = rows[0]?.backlog ?? 0;
    messagingMetrics.outboxBacklog.set({ schema: this.options.schema }, backlog);
    return { backlog, oldestSeconds: rows[0]?.oldest_seconds ?? 0 };
  }

  /** Publishes one batch; returns how many records it published (parked ones are not counted). */
  async relayOnce(): Promise<number> {
    return (await this.relayPass()).published;
  }

  /** Records parked now (and the slidecharge_outbox_parked gauge set to it). */
  async parkedCount(): Promise<number> {
    const rows = await this.options.transaction((tx) =>
      tx.$queryRawUnsafe<{ parked: number }[]>(`SELECT count(*)::int AS parked FROM ${this.table} WHERE parked_at IS NOT NULL AND published_at IS NULL`),
    );
    const parked = rows[0]?.parked ?? 0;
    messagingMetrics.outboxParked.set({ schema: this.options.schema }, parked);
    return parked;
  }

  /** One batch: take it by count and bytes (one read), send it (splitting what the broker refuses), record the outcome. */
  async relayPass(): Promise<RelayPass> {
    const batchSize = this.options.batchSize ?? 200;
    const { outcome, more } = await this.options.transaction(async (tx) => {
      const { rows, taken } = await this.take(tx, batchSize);
      const delivered = await deliverSplitting(rows, (batch) => this.publish(batch), brokerRefusal);
      await this.record(tx, delivered);
      return { outcome: delivered, more: rows.length < taken || taken === batchSize };
    });
    messagingMetrics.outboxPending.inc({ schema: this.options.schema }, outcome.published.length);
    if (outcome.parked.length > 0) await this.alertParked(outcome.parked);
    if (outcome.failed) throw outcome.failed.error;
    return { published: outcome.published.length, parked: outcome.parked.length, more };
  }

  /**
   * Sends records, each in a producer span that continues the trace its writer stored with it: the
   * record goes out with the producer span's traceparent, so the consumer's span is that span's child.
   */
  private async publish(batch: readonly OutboxRow[]): Promise<void> {
    const spans = batch.map((row) => producerSpan(row.topic, contextFromHeaders(row.headers)));
    try {
      await this.options.bus.publish(batch.map((row, i) => toMessage(row, spans[i] as Span)));
    } catch (e) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : 'error' });
      throw e;
    } finally {
      for (const span of spans) span.end();
    }
  }

  /**
   * Takes the oldest unpublished records (at most `limit`) and answers, in the same statement, those of
   * them that fit the batch's bytes (the longest prefix whose total stays within maxBatchBytes, and
   * always the first: a record larger than that goes alone), with how many it took. Only while holding
   * the schema's relay lock (a transaction-level advisory lock, tried in the same statement):
   * one relay of a schema publishes at a time, in order, and the records need no row locks (a FOR UPDATE
   * writes a WAL record per row). Another instance's relay finds nothing to do while it is taken.
   */
  private async take(tx: SqlExecutor, limit: number): Promise<{ rows: OutboxRow[]; taken: number }> {
    const found = await tx.$queryRawUnsafe<(OutboxRow & { taken: number })[]>(
      `SELECT id, topic, key, payload, headers, taken::int AS taken
         FROM (SELECT c.*, sum(c.size) OVER (ORDER BY c.seq) AS running, count(*) OVER () AS taken, row_number() OVER (ORDER BY c.seq) AS n
                 FROM (SELECT id::text AS id, seq, topic, key, payload, headers,
                              (octet_length(key) + octet_length(payload::text) + octet_length(headers::text))::int AS size
                         FROM ${this.table}
                        WHERE published_at IS NULL AND parked_at IS NULL
                          AND (SELECT pg_try_advisory_xact_lock($3::int, hashtext($4)))
                        ORDER BY seq LIMIT $1) c) w
        WHERE n = 1 OR running <= $2
        ORDER BY seq`,
      limit,
      this.options.maxBatchBytes ?? OUTBOX_DEFAULT_BATCH_BYTES,
      OUTBOX_RELAY_LOCK_CLASS,
      this.options.schema,
    );
    const rows = found.map(({ taken: _taken, ...row }) => row);
    return { rows, taken: found[0]?.taken ?? 0 };
  }

  private async record(tx: SqlExecutor, outcome: DeliveryOutcome<OutboxRow>): Promise<void> {
    if (outcome.published.length > 0) {
      await tx.$executeRawUnsafe(
        this.options.keepPublished
          ? `UPDATE ${this.table} SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1::uuid[])`
          : `DELETE FROM ${this.table} WHERE id = ANY($1::uuid[])`,
        outcome.published.map((r) => r.id),
      );
    }
    if (outcome.parked.length > 0) {
      await tx.$executeRawUnsafe(
        `UPDATE ${this.table} AS o SET parked_at = now(), attempts = o.attempts + 1, last_error = p.refusal
           FROM unnest($1::uuid[], $2::text[]) AS p(id, refusal) WHERE o.id = p.id`,
        outcome.parked.map((p) => p.record.id),
        outcome.parked.map((p) => p.refusal),
      );
    }
    if (outcome.failed) {
      await tx.$executeRawUnsafe(
        `UPDATE ${this.table} SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1::uuid[])`,
        outcome.failed.records.map((r) => r.id),
        errorText(outcome.failed.error),
      );
    }
  }

  private async alertParked(parked: { record: OutboxRow; refusal: string }[]): Promise<void> {
    for (const { record, refusal } of parked) {
      messagingMetrics.outboxParkedTotal.inc({ schema: this.options.schema, topic: record.topic });
      this.log.error(
        { alert: 'outbox-record-parked', outboxId: record.id, topic: record.topic, refusal },
        'outbox record parked: the broker refused it for good; the records after it go on. Fix and re-queue it (docs/operations.md, "Parked outbox records")',
      );
    }
    await this.parkedCount().catch((err: unknown) => this.log.warn({ err }, 'could not count parked records'));
  }

  private async run(): Promise<void> {
    let backoff = 250;
    await this.parkedCount().catch((err: unknown) => this.log.warn({ err }, 'could not count parked records'));
    while (!this.stopping) {
      let pass: RelayPass;
      // Cleared before the pass reads: a notification of a commit after this point makes another pass.
      this.woken = false;
      try {
        pass = await this.relayPass();
        this.lastError = undefined;
        backoff = 250;
      } catch (e) {
        this.lastError = errorText(e);
        this.log.error({ err: e }, 'outbox relay failed; will retry');
        await this.idle(backoff, false);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      if (!pass.more) await this.idle(this.pollMs());
    }
  }

  /** Slow while notifications arrive (only a safety net then), fast without them. */
  private pollMs(): number {
    return this.listening() ? (this.options.safetyPollMs ?? 5_000) : (this.options.pollIntervalMs ?? 250);
  }

  /** Waits `ms`, or less when woken (a notification, wake(), stop()); a backoff after an error only ends early at stop(). */
  private idle(ms: number, wakeable = true): Promise<void> {
    if (this.stopping || (wakeable && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = () => {
        if (wakeable || this.stopping) done();
      };
      if (wakeable && this.listening()) for (const waiter of this.idleWaiters.splice(0)) waiter();
    });
  }
}

function producerSpan(topic: string, parent: Context): Span {
  const attributes = { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': topic };
  return slidechargeTracer().startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, parent);
}

const toMessage = (r: OutboxRow, span: Span): OutgoingMessage => ({
  topic: r.topic as OutgoingMessage['topic'],
  key: r.key,
  value: r.payload as OutgoingMessage['value'],
  headers: { ...withoutTraceHeaders(r.headers), ...traceHeaders(trace.setSpan(ROOT_CONTEXT, span)) },
});

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
