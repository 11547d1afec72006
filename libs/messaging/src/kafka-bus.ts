import { Admin, Kafka, PartitionMetadata, Partitioners, Producer, ProducerBatch, RetryOptions } from 'kafkajs';
import { DEAD_LETTER_TOPIC, TopicMessage, TopicName } from '@slidecharge/contracts';
import { describeKafkaConnection, kafkaClientOptions, KafkaConnection } from '@slidecharge/kafka-client';
import { DEAD_LETTER_DEFAULT_RECORD_BYTES, DeadLetterRecord } from './dead-letter-record';
import type { ReplayableMessage } from './dead-letter-archive';
import { DeadLetterStore } from './dead-letter-store';
import type { ReplayResult } from './dead-letter-views';
import { DeadLetterWriter } from './dead-letter-writer';
import { CommittedOffset, GroupLag, groupLag, PartitionEnds } from './consumer-lag';
import { checkOutgoing, OutgoingMessage } from './events';
import { kafkaLogCreator, Logger } from './logger';
import { BatchProcessor, DEFAULT_SESSION_TIMEOUT_MS, ExactlyOnceConsumerOptions } from './batch-processor';
import { EventTopic } from './exactly-once';
import { SqlExecutor } from './sql';
import { messagingMetrics } from './metrics';
import { checkAcknowledged, PartitionPicker, partitionSends } from './partition-sends';
import { ConsumerHandle, SupervisedConsumer } from './supervised-consumer';

export interface KafkaBusOptions {
  /** Brokers and credentials (see kafka-connection.ts). */
  connection: KafkaConnection;
  clientId: string;
  /** The service name, written into dead-letter records. */
  service: string;
  logger: Logger;
  retry?: RetryOptions;
  /**
   * Where consumers keep what they dead-letter (the service's dead_letter table) and how large one
   * dead-letter record may be (default 256 KiB). Needed to consume; a bus that only publishes can
   * do without.
   */
  deadLetters?: { store: DeadLetterStore; maxRecordBytes?: number };
}

/** What a dead letter is replayed through: the consumer of its group and topic. */
interface ReplayTarget {
  consumes(groupId: string, topic: string): boolean;
  replay(message: ReplayableMessage): Promise<ReplayResult>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The project's only door to Kafka. Services publish and consume through it with topic names and
 * payloads the compiler checks against @slidecharge/contracts; kafkajs stays behind it.
 */
export class KafkaBus {
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  /** A send of the current producer failed: it may have reverted sequence numbers of records the broker kept. */
  private producerSuspect = false;
  private producerOpening: Promise<Producer> | undefined;
  private readonly admin: Admin;
  private readonly consumers: SupervisedConsumer[] = [];
  /** What each consumer does with a message: a dead letter is replayed through its group's. */
  private readonly processors: ReplayTarget[] = [];
  private adminConnected = false;
  /** Each topic's partitions as the cluster reported them (partition-sends.ts); forgotten after a failed send. */
  private readonly partitions = new Map<string, PartitionMetadata[]>();
  /** The producer's own partitioner (DefaultPartitioner), to place records before they are sent. */
  private readonly pickPartition: PartitionPicker = Partitioners.DefaultPartitioner();
  private readonly deadLetters: DeadLetterWriter | undefined;
  private readonly log: Logger;

  constructor(private readonly options: KafkaBusOptions) {
    this.log = options.logger.child({ component: 'kafka-bus' });
    this.kafka = new Kafka({
      ...kafkaClientOptions(options.connection),
      clientId: options.clientId,
      logCreator: kafkaLogCreator(options.logger),
      // Waits double from 200 ms but stop growing at 5 s, so a client notices within 5 s that the broker
      // (or a new partition leader) is back; 12 tries span about 40 s before an operation fails (was 8
      // tries up to 25.6 s apart: the fault campaign saw charging resume 40 s after a broker restart).
      retry: options.retry ?? { initialRetryTime: 200, maxRetryTime: 5_000, retries: 12 },
      // Includes the TLS handshake, which takes seconds when several services start at once on 2 cores.
      connectionTimeout: 10_000,
    });
    this.admin = this.kafka.admin();
    this.deadLetters = options.deadLetters
      ? new DeadLetterWriter({
          store: options.deadLetters.store,
          maxRecordBytes: options.deadLetters.maxRecordBytes ?? DEAD_LETTER_DEFAULT_RECORD_BYTES,
          send: (record) => this.sendDeadLetter(record),
          logger: options.logger,
        })
      : undefined;
  }

  async connect(): Promise<void> {
    if (!this.producer) this.log.info(describeKafkaConnection(this.options.connection), 'connecting to Kafka');
    await this.currentProducer();
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
    await this.send({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, list]) => ({
        topic,
        messages: list.map((m) => ({ key: m.key, value: JSON.stringify(m.value), headers: m.headers })),
      })),
    });
    for (const [topic, list] of byTopic) messagingMetrics.published.inc({ topic }, list.length);
  }

  /**
   * Publishes a value to a topic after checking it (checkOutgoing: contract and unsafe text). For edge
   * cases such as tests and simulators that play an external producer (scanner middleware on the
   * ingress topic).
   */
  async publishChecked<T extends TopicName>(topic: T, key: string, value: TopicMessage<T>, headers: Record<string, string> = {}): Promise<void> {
    checkOutgoing(topic, value);
    await this.send({ acks: -1, topicMessages: [{ topic, messages: [{ key, value: JSON.stringify(value), headers }] }] });
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

  /**
   * The lag of consumer groups (of any principal this one may DESCRIBE): log end offsets of each
   * group's topics against the group's committed offsets (consumer-lag.ts). Reads offsets, no message.
   */
  async consumerLag(groups: readonly { group: string; topics: readonly TopicName[] }[]): Promise<GroupLag[]> {
    await this.connect();
    const topics = [...new Set(groups.flatMap((g) => g.topics))];
    const ends: Record<string, PartitionEnds[]> = {};
    for (const topic of topics) ends[topic] = (await this.admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, high: p.high, low: p.low }));
    const lags: GroupLag[] = [];
    for (const { group, topics: groupTopics } of groups) {
      const fetched = await this.admin.fetchOffsets({ groupId: group, topics: [...groupTopics] });
      const committed: Record<string, CommittedOffset[]> = Object.fromEntries(fetched.map((t) => [t.topic, t.partitions.map((p) => ({ partition: p.partition, offset: p.offset }))]));
      lags.push(groupLag(group, Object.fromEntries(groupTopics.map((t) => [t, ends[t] ?? []])), committed));
    }
    return lags;
  }

  consumersRunning(): boolean {
    return this.consumers.every((c) => c.isRunning());
  }

  /**
   * Starts a consumer group that consumes exactly once, by batch (BatchProcessor). Each message is
   * decoded, checked for unsafe text and validated against its topic's contract; what fails is
   * dead-lettered (whole in the service's dead_letter table, and a record that fits the broker's limit
   * on the dead-letter topic). The valid ones of a partition are applied in one transaction per batch
   * with their event ids and their outgoing events (applyExactlyOnce), split when the transaction fails
   * so that a message that fails alone is retried (retry-policy.ts) and dead-lettered without its
   * neighbours. Several partitions are consumed at once (partitionsConsumedConcurrently); within a
   * partition the messages reach the handler in offset order, each in its correlation id and consumer
   * span (inMessageContext). Offsets are committed only after the commit or the dead letter, so a crash
   * replays the batch and the inbox drops what was applied. A consumer that kafkajs leaves stopped is
   * restarted (SupervisedConsumer).
   */
  async consume<T extends EventTopic, TX extends SqlExecutor>(options: ExactlyOnceConsumerOptions<T, TX>): Promise<ConsumerHandle> {
    const processor = new BatchProcessor(options, this.deadLetterWriter(), this.options.service, this.options.logger);
    await this.connect();
    const consumer = new SupervisedConsumer({
      kafka: this.kafka,
      groupId: options.groupId,
      topics: options.topics,
      fromBeginning: options.fromBeginning ?? true,
      sessionTimeoutMs: options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: processor.heartbeatIntervalMs,
      eachBatch: (payload, isStopping) => processor.process(payload, isStopping),
      partitionsConsumedConcurrently: processor.partitionsConsumedConcurrently,
      logger: this.options.logger,
    });
    await consumer.start();
    this.consumers.push(consumer);
    this.processors.push(processor);
    return consumer;
  }

  /** The dead-letter writer a consumer needs; a bus made without one can publish only. */
  private deadLetterWriter(): DeadLetterWriter {
    if (!this.deadLetters) throw new Error('this KafkaBus has no dead-letter store (options.deadLetters): it can publish but not consume');
    return this.deadLetters;
  }

  /**
   * Runs a stored dead letter once more through the consumer of its topic and consumer group in this
   * process: the same checks and handler, so the handler's exactly-once path (consumed event id,
   * transaction, outbox) applies. Fails again, without running anything, when no such consumer runs here.
   */
  async replay(message: ReplayableMessage): Promise<ReplayResult> {
    const processor = this.processors.find((p) => p.consumes(message.consumerGroup, message.topic));
    if (!processor) {
      return { outcome: 'failed-again', error: `no consumer of group ${message.consumerGroup} on topic ${message.topic} runs in this service (the group or the topic was renamed?)` };
    }
    return processor.replay(message);
  }

  private async sendDeadLetter(record: DeadLetterRecord): Promise<void> {
    // Sent with acks from all replicas before the offset moves on: nothing is lost.
    await this.send({ acks: -1, topicMessages: [{ topic: DEAD_LETTER_TOPIC, messages: [{ key: record.key, value: JSON.stringify(record.value), headers: record.headers }] }] });
  }

  /**
   * Sends a batch as one request per topic partition, in parallel, each checked against the broker's
   * answer: kafkajs can resolve a batch that spans partitions without sending the records of a partition
   * whose leader moved during its retries (partition-sends.ts). A failed send leaves the producer
   * suspect (replaced before the next send) and the partition map to be read again.
   */
  private async send(batch: ProducerBatch): Promise<void> {
    const producer = await this.currentProducer();
    try {
      await this.knowPartitions((batch.topicMessages ?? []).map((t) => t.topic));
      const sends = partitionSends(batch, (topic) => this.partitions.get(topic) ?? [], this.pickPartition);
      await Promise.all(
        sends.map(async (send) => {
          const { topic, messages } = send;
          checkAcknowledged(send, await producer.sendBatch({ ...batch, topicMessages: [{ topic, messages }] }));
        }),
      );
    } catch (e) {
      if (producer === this.producer) this.producerSuspect = true;
      this.partitions.clear();
      throw e;
    }
  }

  /** Reads the partitions of the topics not known yet (one metadata request). */
  private async knowPartitions(topics: readonly string[]): Promise<void> {
    const unknown = [...new Set(topics)].filter((t) => !this.partitions.has(t));
    if (unknown.length === 0) return;
    await this.connect();
    const { topics: described } = await this.admin.fetchTopicMetadata({ topics: unknown });
    for (const t of described) this.partitions.set(t.name, t.partitions);
  }

  /**
   * The idempotent producer, replaced by a new one (new producer id) after a failed send. kafkajs
   * rolls back its sequence numbers for every partition of a failed request, including partitions the
   * broker did write; sending other records with those numbers could be taken by the broker for
   * duplicates and dropped. A fresh producer id starts the numbers afresh: what was written may be
   * written again (consumers drop repeats by event id), never dropped.
   */
  private async currentProducer(): Promise<Producer> {
    if (this.producer && !this.producerSuspect) return this.producer;
    this.producerOpening ??= this.openProducer().finally(() => {
      this.producerOpening = undefined;
    });
    return this.producerOpening;
  }

  private async openProducer(): Promise<Producer> {
    // Idempotent producer: broker-side de-duplication of retried sends, order kept per partition.
    const fresh = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await fresh.connect();
    const previous = this.producer;
    this.producer = fresh;
    this.producerSuspect = false;
    if (previous) {
      this.log.info('producer replaced after a failed send');
      void previous.disconnect().catch((err: unknown) => this.log.warn({ err }, 'previous producer did not disconnect cleanly'));
    }
    return fresh;
  }

  /** Stops every consumer (finishing the chunk in flight and committing), then disconnects. */
  async disconnect(): Promise<void> {
    this.processors.splice(0);
    for (const consumer of this.consumers.splice(0)) {
      await consumer.stop().catch((err: unknown) => this.log.warn({ err }, 'consumer stop failed'));
    }
    const producer = this.producer;
    this.producer = undefined;
    if (producer) await producer.disconnect();
    if (this.adminConnected) await this.admin.disconnect();
    this.adminConnected = false;
  }
}
