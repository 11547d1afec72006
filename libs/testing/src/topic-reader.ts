import { randomUUID } from 'node:crypto';
import { Consumer } from 'kafkajs';
import type { KafkaConnection } from '@slidecharge/kafka-client';
import { harnessKafkaConnection, harnessKafkaEnv, testKafka } from './kafka';

export interface ReadMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
}

/**
 * Reads topics from the beginning with a throw-away consumer group and keeps every message, so a test
 * can wait for the ones it expects (filtering by its own ids, since topics are shared between tests).
 * It connects to `brokers` as the harness's principal (KAFKA_SASL_*, KAFKA_TLS* of the environment).
 */
export class TopicReader {
  readonly messages: ReadMessage[] = [];
  private consumer: Consumer | undefined;
  /** The next offset to read per `topic/partition`. */
  private readonly next = new Map<string, bigint>();

  constructor(
    private readonly brokers: string,
    private readonly topics: string[],
  ) {}

  async start(): Promise<this> {
    const kafka = testKafka('test-reader', { ...harnessKafkaConnection(), brokers: this.brokers.split(',') });
    this.consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}` });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    let joined!: () => void;
    const ready = new Promise<void>((resolve) => (joined = resolve));
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => joined());
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const text = message.value?.toString('utf8') ?? '';
        let value: unknown = text;
        try {
          value = JSON.parse(text);
        } catch {
          /* kept as text */
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
        this.messages.push({ topic, partition, offset: message.offset, key: message.key?.toString() ?? null, value, headers });
        this.next.set(`${topic}/${partition}`, BigInt(message.offset) + 1n);
      },
    });
    await ready;
    return this;
  }

  /** Waits until `predicate` holds over the messages read so far; returns the matching ones. */
  async waitFor(filter: (m: ReadMessage) => boolean, done: (matching: ReadMessage[]) => boolean, timeoutMs = 30_000): Promise<ReadMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matching = this.messages.filter(filter);
      if (done(matching)) return matching;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms; ${matching.length} matching messages: ${JSON.stringify(matching.map((m) => m.value)).slice(0, 2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * A barrier: waits until the reader has read every partition up to the end it had when this was
   * called, so `messages` holds everything published before the call (and a test can assert that
   * nothing more came).
   */
  async caughtUp(timeoutMs = 30_000): Promise<void> {
    const admin = testKafka('test-reader', { ...harnessKafkaConnection(), brokers: this.brokers.split(',') }).admin();
    await admin.connect();
    const ends = new Map<string, bigint>();
    try {
      for (const topic of this.topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) if (BigInt(p.high) > BigInt(p.low)) ends.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    } finally {
      await admin.disconnect();
    }
    await eventually(
      async () => ([...ends].every(([partition, end]) => (this.next.get(partition) ?? 0n) >= end) ? true : undefined),
      timeoutMs,
      `the reader to reach the end of ${this.topics.join(', ')}`,
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

/** Polls `probe` until it returns a value that is not undefined, or fails after the timeout. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What the tests run against: the database, the brokers, and the harness's Kafka connection and
 * KAFKA_* variables (to build a service's configuration as the harness's principal).
 */
export function testEnv(): { databaseUrl: string; kafkaBrokers: string; kafka: KafkaConnection; kafkaEnv: Record<string, string> } {
  const databaseUrl = process.env['DATABASE_URL'];
  const kafkaBrokers = process.env['KAFKA_BROKERS'];
  if (!databaseUrl || !kafkaBrokers) throw new Error('DATABASE_URL and KAFKA_BROKERS must be set (globalSetup sets them)');
  return { databaseUrl, kafkaBrokers, kafka: harnessKafkaConnection(), kafkaEnv: harnessKafkaEnv() };
}
