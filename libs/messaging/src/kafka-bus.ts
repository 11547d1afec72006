import { randomUUID } from 'node:crypto';
import { Admin, Consumer, IHeaders, Kafka, KafkaMessage, Partitioners, Producer, RetryOptions } from 'kafkajs';
import {
  DEAD_LETTER_TOPIC,
  DeadLetter,
  DeadLetterReason,
  HEADERS,
  TopicMessage,
  TopicName,
  validateTopicMessage,
} from '@slidecharge/contracts';
import { describeKafkaConnection, kafkaClientOptions, KafkaConnection } from '@slidecharge/kafka-client';
import { runWithCorrelation } from './correlation';
import { ContractViolationError, OutgoingMessage } from './events';
import { kafkaLogCreator, Logger } from './logger';
import { messagingMetrics } from './metrics';

export interface KafkaBusOptions {
  /** Brokers and credentials (see kafka-connection.ts). */
  connection: KafkaConnection;
  clientId: string;
  /** The service name, written into dead-letter records. */
  service: string;
  logger: Logger;
  retry?: RetryOptions;
}

/** A message read from a topic, already decoded and validated against the topic's contract. */
export interface IncomingMessage<T extends TopicName> {
  topic: T;
  partition: number;
  offset: string;
  key: string | null;
  value: TopicMessage<T>;
  headers: Record<string, string>;
  correlationId: string;
}

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
  /** Attempts before a failing message is dead-lettered as processing-failed (default 8, ~25 s of backoff). */
  maxAttempts?: number;
  /** First retry delay; doubles each attempt up to 5 s (default 200 ms). */
  retryDelayMs?: number;
}

export interface ConsumerHandle {
  readonly groupId: string;
  isRunning(): boolean;
  /** Stops fetching, waits for the message in flight, commits its offset, leaves the group. */
  stop(): Promise<void>;
}

function headersToRecord(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The project's only door to Kafka. Services publish and subscribe through it with topic names and
 * payloads the compiler checks against @slidecharge/contracts; kafkajs stays behind it.
 */
export class KafkaBus {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly consumers: { consumer: Consumer; handle: ConsumerHandle }[] = [];
  private producerConnected = false;
  private adminConnected = false;
  private readonly log: Logger;

  constructor(private readonly options: KafkaBusOptions) {
    this.log = options.logger.child({ component: 'kafka-bus' });
    this.kafka = new Kafka({
      ...kafkaClientOptions(options.connection),
      clientId: options.clientId,
      logCreator: kafkaLogCreator(options.logger),
      retry: options.retry ?? { initialRetryTime: 200, retries: 8 },
      // Includes the TLS handshake, which takes seconds when several services start at once on 2 cores.
      connectionTimeout: 10_000,
    });
    // Idempotent producer: broker-side de-duplication of retried sends, order kept per partition.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.admin = this.kafka.admin();
  }

  async connect(): Promise<void> {
    if (!this.producerConnected) {
      this.log.info(describeKafkaConnection(this.options.connection), 'connecting to Kafka');
      await this.producer.connect();
      this.producerConnected = true;
    }
    if (!this.adminConnected) {
      await this.admin.connect();
      this.adminConnected = true;
    }
  }

  /**
   * Fails unless every given topic exists and this principal may see it. Services do not create
   * topics (they have no CREATE permission): the setup does, with their partitions and retention
   * (scripts/kafka.sh start, or the platform's own setup: docs/operations.md).
   */
  async requireTopics(topics: readonly TopicName[]): Promise<void> {
    await this.connect();
    const visible = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !visible.has(t));
    if (missing.length === 0) return;
    const { principal } = describeKafkaConnection(this.options.connection);
    throw new Error(
      `Kafka topics missing, or not visible to principal ${principal}: ${missing.join(', ')}. ` +
        'Topics and ACLs are made by the setup (scripts/kafka.sh start; docs/operations.md, "Kafka security").',
    );
  }

  /** Publishes messages that were built with buildEvent (already validated), waiting for all in-sync replicas. */
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic) ?? [];
      list.push(m);
      byTopic.set(m.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers })),
      })),
    });
    for (const [topic, list] of byTopic) messagingMetrics.published.inc({ topic }, list.length);
  }

  /**
   * Publishes raw bytes to a topic after checking them against its contract. For edge cases such as
   * tests and simulators that play an external producer (scanner middleware on the ingress topic).
   */
  async publishChecked<T extends TopicName>(topic: T, key: string, value: TopicMessage<T>, headers: Record<string, string> = {}): Promise<void> {
    const checked = validateTopicMessage(topic, value);
    if (!checked.ok) throw new ContractViolationError(topic, checked.issues);
    await this.producer.send({ topic, acks: -1, messages: [{ key, value: JSON.stringify(value), headers }] });
  }

  /** Round trip to the cluster for readiness probes. */
  async ping(timeoutMs = 2000): Promise<{ brokers: number }> {
    await this.connect();
    const described = await Promise.race([
      this.admin.describeCluster(),
      sleep(timeoutMs).then(() => {
        throw new Error(`Kafka did not answer within ${timeoutMs} ms`);
      }),
    ]);
    return { brokers: described.brokers.length };
  }

  consumersRunning(): boolean {
    return this.consumers.every((c) => c.handle.isRunning());
  }

  /**
   * Subscribes a consumer group. Each message is decoded and validated against its topic's contract;
   * what fails goes to the dead-letter topic with the reason and the original bytes, and the partition
   * moves on. The handler runs inside the message's correlation id. The offset is committed only after
   * the handler returns, so a crash replays the message: handlers must be idempotent (record the
   * event id in the same transaction as their effect).
   */
  async subscribe<T extends TopicName>(options: ConsumerOptions<T>): Promise<ConsumerHandle> {
    await this.connect();
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { initialRetryTime: 300, retries: 10 },
    });
    let running = false;
    consumer.on(consumer.events.CRASH, (e) => {
      running = false;
      this.log.error({ groupId: options.groupId, err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      running = true;
    });
    consumer.on(consumer.events.STOP, () => {
      running = false;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      partitionsConsumedConcurrently: 1,
      eachMessage: async ({ topic, partition, message, heartbeat }) => {
        await this.handleOne(options, topic as T, partition, message, heartbeat);
      },
    });
    running = true;
    const handle: ConsumerHandle = {
      groupId: options.groupId,
      isRunning: () => running,
      stop: async () => {
        await consumer.stop();
        await consumer.disconnect();
        running = false;
      },
    };
    this.consumers.push({ consumer, handle });
    return handle;
  }

  private async handleOne<T extends TopicName>(
    options: ConsumerOptions<T>,
    topic: T,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    const headers = headersToRecord(message.headers);
    const correlationId = headers[HEADERS.correlationId] ?? randomUUID();
    await runWithCorrelation(correlationId, async () => {
      const source = { topic, partition, message, headers };
      let decoded: unknown;
      try {
        decoded = JSON.parse(message.value?.toString('utf8') ?? '');
      } catch (e) {
        await this.deadLetter(options.groupId, source, 'invalid-json', `value is not JSON: ${(e as Error).message}`, []);
        return;
      }
      const checked = validateTopicMessage(topic, decoded);
      if (!checked.ok) {
        await this.deadLetter(options.groupId, source, 'schema-violation', `value breaks the ${topic} contract`, checked.issues);
        return;
      }
      const incoming: IncomingMessage<T> = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: checked.value,
        headers,
        correlationId,
      };
      const maxAttempts = options.maxAttempts ?? 8;
      let delay = options.retryDelayMs ?? 200;
      for (let attempt = 1; ; attempt++) {
        const started = process.hrtime.bigint();
        try {
          await options.handler(incoming);
          messagingMetrics.consumed.inc({ topic, group: options.groupId });
          messagingMetrics.handleSeconds.observe({ topic }, Number(process.hrtime.bigint() - started) / 1e9);
          return;
        } catch (e) {
          const err = e as Error;
          if (err instanceof RejectedMessageError) {
            await this.deadLetter(options.groupId, source, 'rejected', err.message, []);
            return;
          }
          if (attempt >= maxAttempts) {
            await this.deadLetter(options.groupId, source, 'processing-failed', `gave up after ${attempt} attempts: ${err.message}`, []);
            return;
          }
          this.log.warn({ err, topic, partition, offset: message.offset, attempt }, 'handler failed; retrying');
          await sleep(delay);
          delay = Math.min(delay * 2, 5000);
          await heartbeat();
        }
      }
    });
  }

  private async deadLetter(
    groupId: string,
    source: { topic: string; partition: number; message: KafkaMessage; headers: Record<string, string> },
    reason: DeadLetterReason,
    text: string,
    errors: { path: string; message: string }[],
  ): Promise<void> {
    const raw = source.message.value;
    const utf8 = raw ? raw.toString('utf8') : null;
    const record: DeadLetter = {
      deadLetterId: randomUUID(),
      failedAt: new Date().toISOString(),
      service: this.options.service,
      consumerGroup: groupId,
      reason,
      message: text,
      errors,
      source: {
        topic: source.topic,
        partition: source.partition,
        offset: source.message.offset,
        key: source.message.key?.toString('utf8') ?? null,
        timestamp: source.message.timestamp,
        headers: source.headers,
      },
      originalValue: utf8 !== null && Buffer.from(utf8, 'utf8').equals(raw as Buffer) ? utf8 : null,
      originalValueBase64: raw ? raw.toString('base64') : null,
    };
    // Sent synchronously with acks from all replicas before the offset moves on: nothing is lost.
    await this.producer.send({
      topic: DEAD_LETTER_TOPIC,
      acks: -1,
      messages: [
        {
          key: `${source.topic}/${source.partition}/${source.message.offset}`,
          value: JSON.stringify(record),
          headers: { ...source.headers, [HEADERS.producer]: this.options.service, 'x-dead-letter-reason': reason },
        },
      ],
    });
    messagingMetrics.deadLettered.inc({ topic: source.topic, reason });
    this.log.warn({ deadLetterId: record.deadLetterId, reason, errors, source: record.source }, `dead-lettered: ${text}`);
  }

  /** Stops every consumer (finishing the message in flight and committing), then disconnects. */
  async disconnect(): Promise<void> {
    for (const { handle } of this.consumers.splice(0)) {
      await handle.stop().catch((err: unknown) => this.log.warn({ err }, 'consumer stop failed'));
    }
    if (this.producerConnected) await this.producer.disconnect();
    if (this.adminConnected) await this.admin.disconnect();
    this.producerConnected = false;
    this.adminConnected = false;
  }
}
