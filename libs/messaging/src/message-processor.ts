import { SpanKind } from '@opentelemetry/api';
import { EachMessagePayload, IHeaders } from 'kafkajs';
import { DeadLetterReason, findUnsafeText, HEADERS, TopicMessage, TopicName, validateTopicMessage } from '@slidecharge/contracts';
import { acceptCorrelationId, runWithCorrelation } from './correlation';
import type { ReplayableMessage } from './dead-letter-archive';
import { replayErrorText, ReplayResult } from './dead-letter-views';
import { DeadLetterWriter, PartitionPause } from './dead-letter-writer';
import { Logger } from './logger';
import { messagingMetrics } from './metrics';
import { retryDelays, retryPolicy, RetryPolicy } from './retry-policy';
import { ConsumerStoppingError } from './supervised-consumer';
import { contextFromHeaders, inSpan, SpanOptions } from './trace-context';

/** A message of one topic, already decoded and validated against the topic's contract. */
export interface IncomingMessageOf<T extends TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  value: TopicMessage<T>;
  headers: Record<string, string>;
  correlationId: string;
}

/**
 * A message read from one of the topics T: distributive over the union, so a handler switching on
 * `message.topic` gets that topic's payload type.
 */
export type IncomingMessage<T extends TopicName> = T extends TopicName ? IncomingMessageOf<T> : never;

/**
 * A handler throws this when a message is well-formed but can never be processed (a business rule
 * refuses it). The message goes to the dead-letter topic at once instead of being retried.
 */
export class RejectedMessageError extends Error {}

export interface ConsumerOptions<T extends TopicName> {
  groupId: string;
  topics: readonly T[];
  handler: (message: IncomingMessage<T>) => Promise<void>;
  fromBeginning?: boolean;
  /** Attempts before a failing message is dead-lettered as processing-failed (default 8; see retry-policy.ts). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt (default 200 ms). */
  retryDelayMs?: number;
  /** Longest retry delay (default 5 s). */
  maxRetryDelayMs?: number;
  /** Kafka group session timeout (default 30 s; the broker allows 6 s to 30 min). */
  sessionTimeoutMs?: number;
  /** How often the member heartbeats, also while a message waits for its next attempt (default 3 s). */
  heartbeatIntervalMs?: number;
}

export function headersToRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How often a waiting message looks whether its consumer is stopping. */
const STOP_CHECK_MS = 250;

/**
 * A wait that keeps the partition: heartbeats at least every `heartbeatIntervalMs` (kafkajs sends one
 * only when the interval has passed), and gives up with ConsumerStoppingError when the consumer stops.
 */
export function pauseKeepingPartition(heartbeat: () => Promise<void>, heartbeatIntervalMs: number, isStopping: () => boolean, groupId: string): PartitionPause {
  return async (ms) => {
    const until = Date.now() + ms;
    for (;;) {
      if (isStopping()) throw new ConsumerStoppingError(groupId);
      const left = until - Date.now();
      if (left <= 0) return;
      await sleep(Math.min(left, STOP_CHECK_MS, heartbeatIntervalMs));
      await heartbeat();
    }
  };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

export type CheckedMessage<T extends TopicName> =
  | { ok: true; value: TopicMessage<T> }
  | { ok: false; reason: DeadLetterReason; text: string; errors: { path: string; message: string }[] };

/** Why a message failed the checks, for a replay's answer: the decoder's own text may quote the body, so only the reason and the fields. */
export function checkFailureText(failed: { reason: DeadLetterReason; text: string; errors: { path: string; message: string }[] }): string {
  if (failed.reason === 'invalid-json') return 'invalid-json: value is not JSON';
  return `${failed.reason}: ${failed.errors.map((e) => `${e.path} ${e.message}`).join('; ') || failed.text}`;
}

/** Decodes a value as JSON, refuses unsafe text and validates it against the topic's contract. */
export function checkMessage<T extends TopicName>(topic: T, value: Buffer | null): CheckedMessage<T> {
  let decoded: unknown;
  try {
    decoded = JSON.parse(value?.toString('utf8') ?? '');
  } catch (e) {
    return { ok: false, reason: 'invalid-json', text: `value is not JSON: ${errorText(e)}`, errors: [] };
  }
  const unsafe = findUnsafeText(decoded);
  if (unsafe) return { ok: false, reason: 'schema-violation', text: `value breaks the ${topic} contract: ${unsafe.path} ${unsafe.message}`, errors: [unsafe] };
  const checked = validateTopicMessage(topic, decoded);
  if (!checked.ok) return { ok: false, reason: 'schema-violation', text: `value breaks the ${topic} contract`, errors: checked.issues };
  return { ok: true, value: checked.value };
}

/** The consumer span of a message: child of the record's traceparent (the producer span), or a new trace when it has none. */
export function consumerSpan(topic: string, partition: number, headers: Record<string, string>, groupId: string): SpanOptions {
  return {
    name: `process ${topic}`,
    kind: SpanKind.CONSUMER,
    parent: contextFromHeaders(headers),
    attributes: {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': topic,
      'messaging.destination.partition.id': String(partition),
      'messaging.consumer.group.name': groupId,
    },
  };
}

/**
 * What a consumer does with each message: decode, refuse unsafe text, validate against the topic's
 * contract, run the handler with retries under the retry policy, and dead-letter what cannot be
 * taken. Returns only when the message is handled or safely dead-lettered, so its offset may move.
 */
/**
 * Runs a stored dead letter once more, alone, as if read again: the same checks, then `apply` (the
 * consumer's own path, which records the event id in the transaction of its effect, so an event consumed
 * meanwhile is not applied twice). No retries and no new dead letter: a failure is the answer.
 */
export function replayStored<T extends TopicName>(
  stored: ReplayableMessage,
  groupId: string,
  log: Logger,
  apply: (incoming: IncomingMessage<T>) => Promise<unknown>,
): Promise<ReplayResult> {
  const { correlationId } = acceptCorrelationId(stored.headers[HEADERS.correlationId]);
  return runWithCorrelation(correlationId, async (): Promise<ReplayResult> => {
    const topic = stored.topic as T;
    const checked = checkMessage(topic, stored.value);
    if (!checked.ok) return { outcome: 'failed-again', error: replayErrorText(checkFailureText(checked)) };
    const incoming = { ...stored, topic, value: checked.value, correlationId } as unknown as IncomingMessage<T>;
    try {
      await apply(incoming);
    } catch (e) {
      const error = replayErrorText(e);
      log.warn({ topic, partition: stored.partition, offset: stored.offset, error }, 'replayed dead letter failed again');
      return { outcome: 'failed-again', error };
    }
    messagingMetrics.consumed.inc({ topic, group: groupId });
    return { outcome: 'consumed' };
  });
}

export class MessageProcessor<T extends TopicName> {
  private readonly policy: RetryPolicy;
  private readonly log: Logger;

  constructor(
    private readonly options: ConsumerOptions<T>,
    private readonly deadLetters: DeadLetterWriter,
    private readonly service: string,
    logger: Logger,
  ) {
    this.policy = retryPolicy(options);
    this.log = logger.child({ component: 'consumer', groupId: options.groupId });
  }

  get heartbeatIntervalMs(): number {
    return this.options.heartbeatIntervalMs ?? 3000;
  }

  /** Whether this processor is the consumer of `topic` in consumer group `groupId`. */
  consumes(groupId: string, topic: string): boolean {
    return this.options.groupId === groupId && (this.options.topics as readonly string[]).includes(topic);
  }

  /** Runs a stored dead letter through this consumer's handler once (replayStored). */
  replay(stored: ReplayableMessage): Promise<ReplayResult> {
    return replayStored<T>(stored, this.options.groupId, this.log, (incoming) => this.options.handler(incoming));
  }

  async process({ topic, partition, message, heartbeat }: EachMessagePayload, isStopping: () => boolean): Promise<void> {
    const headers = headersToRecord(message.headers);
    const { correlationId, replacedLength } = acceptCorrelationId(headers[HEADERS.correlationId]);
    const pause = pauseKeepingPartition(heartbeat, this.heartbeatIntervalMs, isStopping, this.options.groupId);
    await runWithCorrelation(correlationId, () => inSpan(consumerSpan(topic, partition, headers, this.options.groupId), async () => {
      if (replacedLength !== undefined) {
        this.log.warn({ topic, partition, offset: message.offset, headerLength: replacedLength }, 'x-correlation-id header is not 1-128 printable characters; replaced by a new id');
      }
      const source = { topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, timestamp: message.timestamp, headers };
      const deadLetter = async (reason: DeadLetterReason, text: string, errors: { path: string; message: string }[]) => {
        await this.deadLetters.write({ service: this.service, consumerGroup: this.options.groupId, reason, message: text, errors, source, value: message.value }, pause);
      };
      const checked = checkMessage(topic as T, message.value);
      if (!checked.ok) return deadLetter(checked.reason, checked.text, checked.errors);
      const incoming = { topic: topic as T, partition, offset: message.offset, key: source.key, value: checked.value, headers, correlationId } as unknown as IncomingMessage<T>;
      return this.handleWithRetries(incoming, pause, deadLetter);
    }));
  }

  private async handleWithRetries(
    incoming: IncomingMessage<T>,
    pause: PartitionPause,
    deadLetter: (reason: DeadLetterReason, text: string, errors: []) => Promise<void>,
  ): Promise<void> {
    const delays = retryDelays(this.policy);
    for (let attempt = 1; ; attempt++) {
      const started = process.hrtime.bigint();
      try {
        await this.options.handler(incoming);
        messagingMetrics.consumed.inc({ topic: incoming.topic, group: this.options.groupId });
        messagingMetrics.handleSeconds.observe({ topic: incoming.topic }, Number(process.hrtime.bigint() - started) / 1e9);
        return;
      } catch (e) {
        if (e instanceof RejectedMessageError) return deadLetter('rejected', e.message, []);
        if (attempt >= this.policy.maxAttempts) return deadLetter('processing-failed', `gave up after ${attempt} attempts: ${errorText(e)}`, []);
        const delay = delays[attempt - 1] ?? this.policy.maxDelayMs;
        this.log.warn({ err: e, topic: incoming.topic, partition: incoming.partition, offset: incoming.offset, attempt, retryInMs: delay }, 'handler failed; retrying');
        await pause(delay);
      }
    }
  }
}
