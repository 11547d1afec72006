import { context, Context } from '@opentelemetry/api';
import { TopicMessage, TopicName } from '@slidecharge/contracts';
import { firstOfEachId } from './batch-split';
import { runWithCorrelation } from './correlation';
import { OutgoingMessage } from './events';
import { Logger } from './logger';
import { writeOutbox } from './outbox';
import { postgresErrorOf } from './postgres-error';
import type { IncomingMessage, IncomingMessageOf } from './incoming-message';
import { quoteSchema as ident, SqlExecutor } from './sql';

/** The topics whose messages carry an event id (every topic but the dead-letter topic): what an inbox can record. */
export type EventTopic = { [K in TopicName]: TopicMessage<K> extends { eventId: string } ? K : never }[TopicName];

/**
 * Where a consumer records what it has taken and what it sends: the service's schema, whose
 * consumed_event and outbox tables have the same shape in every service (Prisma models ConsumedEvent
 * and OutboxMessage), the name consumed events are recorded under, and how to open a transaction.
 * ServiceRuntime.inbox builds one for the service (it wakes the outbox relay after a commit).
 */
export interface Inbox<TX extends SqlExecutor = SqlExecutor> {
  schema: string;
  /** The name the events are recorded under in consumed_event (the consumer group, or a fixed name). */
  consumer: string;
  /** Runs `fn` in one database transaction (the service's Prisma $transaction with its timeout). */
  transaction: <R>(fn: (tx: TX) => Promise<R>) => Promise<R>;
  /** Called after a commit that wrote outbox rows: the runtime wakes the outbox relay. */
  outboxWritten?: () => void;
  /** Where a failing afterCommit is logged (the effect is committed: it is not retried). */
  logger?: Logger;
}

/** What a batch handler did: the events to write to the outbox in the same transaction, and what to do after the commit. */
export interface HandledBatch {
  outgoing: readonly OutgoingMessage[];
  /** Runs after the commit (metrics, log lines, live notifications): never affects the outcome. */
  afterCommit?: () => void | Promise<void>;
}

/**
 * The effect of a batch of new messages (of one partition, in offset order), inside the transaction
 * that records them as consumed. Messages already consumed never reach it. Each message's payload is
 * typed by its topic (IncomingMessage is distributive: switch on message.topic).
 */
export type BatchHandler<T extends EventTopic, TX extends SqlExecutor = SqlExecutor, H extends HandledBatch = HandledBatch> = (
  tx: TX,
  messages: readonly IncomingMessage<T>[],
) => Promise<H>;

export interface AppliedBatch<T extends EventTopic, H extends HandledBatch> {
  /** The messages taken for the first time, in order (those the handler saw). */
  fresh: IncomingMessage<T>[];
  /** The messages already consumed before (or repeated within the batch): nothing done. */
  duplicates: IncomingMessage<T>[];
  /** What the handler returned; undefined when every message was a duplicate. */
  handled: H | undefined;
}

/**
 * Applies messages exactly once, in ONE transaction: records all their event ids in consumed_event in
 * one statement (those already there are the duplicates), hands the new ones to the handler, writes
 * every outgoing event to the outbox in one statement, commits, then wakes the relay and runs the
 * handler's afterCommit. A failure anywhere rolls all of it back (nothing recorded as consumed).
 *
 * When another consumer recorded one of the events first and committed while this transaction waited
 * for it (a partition's previous owner finishing its batch during a rebalance), the insert fails on
 * consumed_event's key and the whole transaction runs again: it then finds that event a duplicate.
 */
export async function applyExactlyOnce<T extends EventTopic, TX extends SqlExecutor, H extends HandledBatch>(
  inbox: Inbox<TX>,
  messages: readonly IncomingMessage<T>[],
  handler: BatchHandler<T, TX, H>,
): Promise<AppliedBatch<T, H>> {
  const { firsts, repeats } = firstOfEachId(messages, (m) => m.value.eventId);
  const apply = () =>
    inbox.transaction(async (tx): Promise<AppliedBatch<T, H>> => {
      const taken = await markConsumedBatch(tx, inbox.schema, inbox.consumer, firsts.map((m) => ({ eventId: m.value.eventId, topic: m.topic })));
      const fresh = firsts.filter((m) => taken.has(m.value.eventId));
      const duplicates = [...firsts.filter((m) => !taken.has(m.value.eventId)), ...repeats];
      if (fresh.length === 0) return { fresh, duplicates, handled: undefined };
      const handled = await handler(tx, fresh);
      await writeOutbox(tx, inbox.schema, handled.outgoing);
      return { fresh, duplicates, handled };
    });
  const result = await retryingConsumedEventConflicts(apply, inbox.logger);
  if (result.handled && result.handled.outgoing.length > 0) inbox.outboxWritten?.();
  try {
    await result.handled?.afterCommit?.();
  } catch (err) {
    inbox.logger?.warn({ err }, 'afterCommit of a consumed batch failed (the batch is committed)');
  }
  return result;
}

/** Runs the transaction again while it loses a race on consumed_event (each run sees more committed); at most 3 runs. */
async function retryingConsumedEventConflicts<R>(run: () => Promise<R>, logger: Logger | undefined): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= 3 || !isConsumedEventConflict(error)) throw error;
      logger?.info({ attempt }, 'another consumer took an event of this batch first; applying the batch again');
    }
  }
}

/** A unique violation on consumed_event's key, as pg reports it or Prisma's driver adapter wraps it. */
export function isConsumedEventConflict(error: unknown): boolean {
  const facts = postgresErrorOf(error);
  return facts?.sqlState === '23505' && facts.constraint === 'consumed_event_pkey';
}

/**
 * Records that `consumer` has taken these events ("<schema>".consumed_event), in one statement.
 * Returns the ids recorded now: the others had been taken before (their effect must be skipped).
 *
 * A plain insert of the ids not there yet, not INSERT ... ON CONFLICT DO NOTHING: a speculative
 * insert writes a third WAL record per row (its confirmation), and this runs for every event every
 * service takes. An id a concurrent transaction inserts and commits meanwhile fails the insert on the
 * key (isConsumedEventConflict; applyExactlyOnce runs the transaction again).
 */
export async function markConsumedBatch(tx: SqlExecutor, schema: string, consumer: string, events: readonly { eventId: string; topic: string }[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const table = `${ident(schema)}.consumed_event`;
  const rows = await tx.$queryRawUnsafe<{ event_id: string }[]>(
    `INSERT INTO ${table} (consumer, event_id, topic)
       SELECT $1, e.event_id, e.topic FROM (SELECT DISTINCT ON (event_id) event_id, topic FROM unnest($2::text[], $3::text[]) AS u(event_id, topic)) e
        WHERE NOT EXISTS (SELECT 1 FROM ${table} c WHERE c.consumer = $1 AND c.event_id = e.event_id)
     RETURNING event_id`,
    consumer,
    events.map((e) => e.eventId),
    events.map((e) => e.topic),
  );
  return new Set(rows.map((r) => r.event_id));
}

/** The trace context of each message a consumer is applying (its consumer span), set by the batch processor. */
const messageContexts = new WeakMap<object, Context>();

/** Sets the trace context a message's handling runs in (its consumer span). */
export function setMessageContext(message: object, ctx: Context): void {
  messageContexts.set(message, ctx);
}

/**
 * Runs `fn` as the handling of `message`: with its correlation id and inside its consumer span, so
 * that log lines and the events it builds (buildEvent) carry them. A batch handler wraps the work of
 * each message in it.
 */
export function inMessageContext<R>(message: IncomingMessage<TopicName>, fn: () => R): R {
  const ctx = messageContexts.get(message);
  return runWithCorrelation(message.correlationId, () => (ctx ? context.with(ctx, fn) : fn()));
}

/**
 * A batch handler that handles the messages one after the other (each in its context, inMessageContext)
 * in the batch's transaction, and gathers their outgoing events in order.
 */
export async function handleEach<T extends EventTopic, R extends HandledBatch>(
  messages: readonly IncomingMessage<T>[],
  handle: (message: IncomingMessage<T>) => Promise<R>,
): Promise<{ outgoing: OutgoingMessage[]; results: R[]; afterCommit: () => Promise<void> }> {
  const results: R[] = [];
  for (const message of messages) results.push(await inMessageContext(message, () => handle(message)));
  return {
    outgoing: results.flatMap((r) => [...r.outgoing]),
    results,
    afterCommit: async () => {
      for (const [i, r] of results.entries()) {
        const message = messages[i] as IncomingMessage<T>;
        await inMessageContext(message, async () => r.afterCommit?.());
      }
    },
  };
}

/**
 * An event built here (buildEvent) as a consumer would read it from its topic, for handing it to a
 * consumer's handler directly (tests, tools): partition 0, offset 0, its own headers.
 */
export function incomingOf<T extends EventTopic>(message: OutgoingMessage<T>, correlationId: string): IncomingMessage<T> {
  const incoming: IncomingMessageOf<T> = { topic: message.topic, partition: 0, offset: '0', key: message.key, value: message.value, headers: message.headers, correlationId };
  return incoming as unknown as IncomingMessage<T>;
}
