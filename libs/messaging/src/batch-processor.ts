import { Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { DeadLetterReason, HEADERS } from '@slidecharge/contracts';
import { applySplitting, chunked } from './batch-split';
import { acceptCorrelationId, runWithCorrelation } from './correlation';
import type { ReplayableMessage } from './dead-letter-archive';
import { replayErrorText, ReplayResult } from './dead-letter-views';
import { DeadLetterWriter, PartitionPause } from './dead-letter-writer';
import { applyExactlyOnce, BatchHandler, EventTopic, Inbox, setMessageContext } from './exactly-once';
import type { GroupCommit } from './group-commit';
import {
  checkFailureText,
  checkMessage,
  CheckedMessage,
  consumerSpan,
  headersToRecord,
  IncomingMessage,
  pauseKeepingPartition,
  RejectedMessageError,
} from './incoming-message';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';
import { retryDelays, retryPolicy, RetryPolicy } from './retry-policy';
import { SqlExecutor } from './sql';
import { slidechargeTracer } from './trace-context';

/** A consumer group that applies each partition's messages in batches, exactly once (applyExactlyOnce). */
export interface ExactlyOnceConsumerOptions<T extends EventTopic, TX extends SqlExecutor = SqlExecutor> {
  groupId: string;
  topics: readonly T[];
  /** Where the consumed event ids and the outgoing events go, and how to open a transaction. */
  inbox: Inbox<TX>;
  /** The effect of a batch of new messages of one partition, in offset order, inside its transaction. */
  handler: BatchHandler<T, TX>;
  /** A new group starts at the beginning of its topics (default true). */
  fromBeginning?: boolean;
  /** Partitions handled at the same time, each in its own transactions (default 3). */
  partitionsConsumedConcurrently?: number;
  /** Most messages applied in one transaction (default 200). */
  maxBatchMessages?: number;
  /**
   * Applies the batches of several partitions that wait at the same time in one transaction (see
   * GroupCommit; built with this consumer's inbox and handler, shared by the group's members in the
   * process). Without it, each partition's batch has its own transaction.
   */
  groupCommit?: GroupCommit<T, TX>;
  /** Attempts before a message that fails alone is dead-lettered as processing-failed (default 8; see retry-policy.ts). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt (default 200 ms). */
  retryDelayMs?: number;
  /** Longest retry delay (default 5 s). */
  maxRetryDelayMs?: number;
  /** Kafka group session timeout (default DEFAULT_SESSION_TIMEOUT_MS; the broker allows 6 s to 30 min). */
  sessionTimeoutMs?: number;
  /** How often the member heartbeats, also while a transaction runs or a message waits for its next attempt (default 3 s). */
  heartbeatIntervalMs?: number;
}

export const DEFAULT_MAX_BATCH_MESSAGES = 200;

/**
 * How long the group waits for a member that stopped heartbeating (a crashed or SIGKILLed process)
 * before it gives that member's partitions to the others or to its restarted self: the time those
 * partitions stand still after a crash. 10 s (three heartbeat intervals of 3 s; the member also
 * heartbeats while a batch is applied or waits for a retry) instead of kafkajs' 30 s: the fault
 * campaign measured 27-28 s of standstill per crash with 30 s (docs/reliability.md).
 */
export const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
export const DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY = 3;

/** A message as read from its partition, with what the checks made of it. */
interface Received<T extends EventTopic> {
  raw: KafkaMessage;
  source: { topic: string; partition: number; offset: string; key: string | null; timestamp: string; headers: Record<string, string> };
  correlationId: string;
  checked: CheckedMessage<T>;
  incoming?: IncomingMessage<T>;
}

type Valid<T extends EventTopic> = Received<T> & { incoming: IncomingMessage<T> };

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * What an exactly-once consumer does with each batch kafkajs fetches for a partition: cut it into
 * chunks of at most maxBatchMessages; in each, dead-letter what fails the checks (incoming-message.ts:
 * JSON, unsafe text, the topic's contract), apply the valid messages in one transaction
 * (applyExactlyOnce), and when that fails split the chunk (applySplitting) until the message that fails
 * alone is retried under the retry policy and dead-lettered when it still fails. Offsets are resolved
 * only up to what is done; heartbeats go on while a transaction runs; a stopping consumer finishes the
 * chunk in flight and stops there.
 */
export class BatchProcessor<T extends EventTopic, TX extends SqlExecutor> {
  private readonly policy: RetryPolicy;
  private readonly log: Logger;

  constructor(
    private readonly options: ExactlyOnceConsumerOptions<T, TX>,
    private readonly deadLetters: DeadLetterWriter,
    private readonly service: string,
    logger: Logger,
  ) {
    this.policy = retryPolicy(options);
    this.log = logger.child({ component: 'consumer', groupId: options.groupId });
    if (options.groupCommit && (options.groupCommit.inbox !== options.inbox || options.groupCommit.handler !== options.handler)) {
      throw new Error('groupCommit must be built with the consumer\'s own inbox and handler');
    }
    for (const [name, value] of [['maxBatchMessages', this.maxBatchMessages], ['partitionsConsumedConcurrently', this.partitionsConsumedConcurrently]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
    }
  }

  get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs ?? 3000;
  }

  get partitionsConsumedConcurrently(): number {
    return this.options.partitionsConsumedConcurrently ?? DEFAULT_PARTITIONS_CONSUMED_CONCURRENTLY;
  }

  private get maxBatchMessages(): number {
    return this.options.maxBatchMessages ?? DEFAULT_MAX_BATCH_MESSAGES;
  }

  /** Whether this processor is the consumer of `topic` in consumer group `groupId`. */
  consumes(groupId: string, topic: string): boolean {
    return this.options.groupId === groupId && (this.options.topics as readonly string[]).includes(topic);
  }

  /**
   * Runs a stored dead letter once more, alone, as if read again: the same checks, then the exactly-once
   * path (its event id recorded in the transaction of its effect, so an event consumed meanwhile is not
   * applied twice). No retries and no new dead letter: a failure is the answer.
   */
  replay(stored: ReplayableMessage): Promise<ReplayResult> {
    const { correlationId } = acceptCorrelationId(stored.headers[HEADERS.correlationId]);
    return runWithCorrelation(correlationId, async (): Promise<ReplayResult> => {
      const topic = stored.topic as T;
      const checked = checkMessage(topic, stored.value);
      if (!checked.ok) return { outcome: 'failed-again', error: replayErrorText(checkFailureText(checked)) };
      const incoming = { ...stored, topic, value: checked.value, correlationId } as unknown as IncomingMessage<T>;
      try {
        await applyExactlyOnce(this.options.inbox, [incoming], this.options.handler);
      } catch (e) {
        const error = replayErrorText(e);
        this.log.warn({ topic, partition: stored.partition, offset: stored.offset, error }, 'replayed dead letter failed again');
        return { outcome: 'failed-again', error };
      }
      messagingMetrics.consumed.inc({ topic, group: this.options.groupId });
      return { outcome: 'consumed' };
    });
  }

  async process(payload: EachBatchPayload, isStopping: () => boolean): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const pause = pauseKeepingPartition(heartbeat, this.heartbeatIntervalMs, isStopping, this.options.groupId);
    for (const chunk of chunked(batch.messages, this.maxBatchMessages)) {
      if (!isRunning() || isStale() || isStopping()) return;
      const received = chunk.map((m) => this.receive(batch.topic as T, batch.partition, m));
      await this.processChunk(received, pause, heartbeat, resolveOffset);
      // Every message of the chunk is applied or dead-lettered now (processChunk throws otherwise):
      // resolve up to its last one, which may be a dead letter no applied message follows.
      resolveOffset((chunk[chunk.length - 1] as KafkaMessage).offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    }
  }

  /** Dead-letters the invalid messages, then applies the valid ones, splitting on failure; resolves offsets as it goes. */
  private async processChunk(received: Received<T>[], pause: PartitionPause, heartbeat: () => Promise<void>, resolveOffset: (offset: string) => void): Promise<void> {
    for (const r of received) {
      if (!r.checked.ok) await this.deadLetter(r, r.checked.reason, r.checked.text, r.checked.errors, pause);
    }
    const valid = received.filter((r): r is Valid<T> => r.incoming !== undefined);
    // The chunk may share a transaction with other partitions' chunks; once it failed, its halves go alone.
    let first = true;
    await applySplitting(valid, {
      apply: (slice) => {
        const together = first;
        first = false;
        return this.apply(slice, heartbeat, together);
      },
      isolate: (r, error) => this.retryAlone(r, error, pause, heartbeat),
      done: (slice) => resolveOffset((slice[slice.length - 1] as Valid<T>).source.offset),
      splitting: (slice, error) =>
        this.log.warn(
          { topic: slice[0]?.source.topic, partition: slice[0]?.source.partition, from: slice[0]?.source.offset, count: slice.length, error: errorText(error) },
          'batch transaction failed; splitting it to find the message that fails',
        ),
    });
    const last = received[received.length - 1];
    if (last) resolveOffset(last.source.offset);
  }

  private receive(topic: T, partition: number, raw: KafkaMessage): Received<T> {
    const headers = headersToRecord(raw.headers);
    const { correlationId, replacedLength } = acceptCorrelationId(headers[HEADERS.correlationId]);
    const source = { topic, partition, offset: raw.offset, key: raw.key?.toString('utf8') ?? null, timestamp: raw.timestamp, headers };
    if (replacedLength !== undefined) {
      this.log.warn({ topic, partition, offset: raw.offset, headerLength: replacedLength, correlationId }, 'x-correlation-id header is not 1-128 printable characters; replaced by a new id');
    }
    const checked = checkMessage(topic, raw.value);
    if (!checked.ok) return { raw, source, correlationId, checked };
    const incoming = { topic, partition, offset: raw.offset, key: source.key, value: checked.value, headers, correlationId } as unknown as IncomingMessage<T>;
    return { raw, source, correlationId, checked, incoming };
  }

  /**
   * One transaction for the slice (with other partitions' slices waiting beside it when `together` and
   * the consumer has a group commit), each message in its consumer span, heartbeats going on meanwhile.
   */
  private async apply(slice: readonly Valid<T>[], heartbeat: () => Promise<void>, together: boolean): Promise<void> {
    const spans = slice.map((r) => this.startSpan(r));
    const beating = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatIntervalMs);
    const started = process.hrtime.bigint();
    try {
      const messages = slice.map((r) => r.incoming);
      const group = together ? this.options.groupCommit : undefined;
      const applied = await (group ? group.apply(messages) : applyExactlyOnce(this.options.inbox, messages, this.options.handler));
      const fresh = new Set(applied.fresh);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const topic = slice[0]?.source.topic ?? '';
      messagingMetrics.consumed.inc({ topic, group: this.options.groupId }, slice.length);
      messagingMetrics.handleSeconds.observe({ topic }, seconds / slice.length);
      this.log.debug({ topic, partition: slice[0]?.source.partition, count: slice.length, fresh: messages.filter((m) => fresh.has(m)).length, ms: Math.round(seconds * 1000) }, 'batch applied');
    } catch (e) {
      for (const span of spans) span.setStatus({ code: SpanStatusCode.ERROR, message: e instanceof Error ? e.name : 'error' });
      throw e;
    } finally {
      clearInterval(beating);
      for (const span of spans) span.end();
    }
  }

  private startSpan(r: Valid<T>): Span {
    const options = consumerSpan(r.source.topic, r.source.partition, r.source.headers, this.options.groupId);
    const parent = options.parent as NonNullable<typeof options.parent>;
    const span = slidechargeTracer().startSpan(options.name, { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) }, parent);
    setMessageContext(r.incoming, trace.setSpan(parent, span));
    return span;
  }

  /** A message that failed alone: retried under the retry policy, dead-lettered when it still fails (at once when the handler rejects it). */
  private async retryAlone(r: Valid<T>, firstError: unknown, pause: PartitionPause, heartbeat: () => Promise<void>): Promise<void> {
    const delays = retryDelays(this.policy);
    let error = firstError;
    for (let attempt = 1; ; attempt++) {
      if (error instanceof RejectedMessageError) return this.deadLetter(r, 'rejected', error.message, [], pause);
      if (attempt >= this.policy.maxAttempts) return this.deadLetter(r, 'processing-failed', `gave up after ${attempt} attempts: ${errorText(error)}`, [], pause);
      const delay = delays[attempt - 1] ?? this.policy.maxDelayMs;
      this.log.warn({ err: error, topic: r.source.topic, partition: r.source.partition, offset: r.source.offset, attempt, retryInMs: delay, correlationId: r.correlationId }, 'handler failed; retrying');
      await pause(delay);
      try {
        await this.apply([r], heartbeat, false);
        return;
      } catch (e) {
        error = e;
      }
    }
  }

  private async deadLetter(r: Received<T>, reason: DeadLetterReason, text: string, errors: readonly { path: string; message: string }[], pause: PartitionPause): Promise<void> {
    await runWithCorrelation(r.correlationId, () =>
      this.deadLetters.write({ service: this.service, consumerGroup: this.options.groupId, reason, message: text, errors: [...errors], source: r.source, value: r.raw.value }, pause),
    );
  }
}
