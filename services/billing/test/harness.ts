import { randomUUID } from 'node:crypto';
import { NestExpressApplication } from '@nestjs/platform-express';
import { Pool } from 'pg';
import { TopicName } from '@slidecharge/contracts';
import { createLogger, KafkaBus, OutgoingMessage } from '@slidecharge/messaging';
import { createServiceApp } from '@slidecharge/service-kit';
import {
  asCaller,
  eventually,
  KEEP_PUBLISHED_OUTBOX,
  serviceDatabaseUrl,
  TestCaller,
  testEnv,
  TopicReader,
  waitForGroupCaughtUp,
} from '@slidecharge/testing';
import { AppModule } from '../src/app.module';
import { BillingConfig, loadServiceConfig } from '../src/config';
import { BILLING_SERVICE } from '../src/openapi';
import { deleteGroup, INPUT_TOPICS, startGroupAtEnd } from './support';

/**
 * Billing in-process (AppModule, as production builds it) against the real Postgres and Kafka, for an
 * integration test file: its own consumer group starting at the end of the input topics, a producer
 * for the test's events, a reader of the topics the test watches, and the billing schema's pool.
 * Kept apart from support.ts so that tests running billing as its own process do not load the app.
 */
export interface BillingHarnessOptions {
  /** The test's name: its Kafka client id and the prefix of billing's consumer group. */
  name: string;
  /** Topics read from now on (reader.messages); none: no reader. */
  readTopics?: readonly TopicName[];
  /** Settings over the defaults (DATABASE_URL of billing, the consumer group, LOG_LEVEL warn). */
  env?: Record<string, string>;
  /** Start from the harness's Kafka settings only, not from the whole test process environment. */
  isolatedEnv?: boolean;
  /** Who http() calls as when not told. */
  defaultCaller?: TestCaller;
}

export interface BillingHarness {
  app: NestExpressApplication;
  bus: KafkaBus;
  /** Reads `readTopics` (throws when the harness reads none). */
  reader: TopicReader;
  pool: Pool;
  groupId: string;
  /** The billing API as a caller with a token from the identity provider. */
  http(caller?: TestCaller): ReturnType<typeof asCaller>;
  /** Publishes each batch and waits until billing has handled (committed) it before the next. */
  send(...batches: OutgoingMessage[][]): Promise<void>;
  /** Waits until billing has handled (committed) every given event. */
  handled(messages: OutgoingMessage[]): Promise<void>;
  /**
   * A barrier before asserting that nothing more happened: billing has handled everything on its input
   * topics (repeats included), published the outbox records of `key`, and the reader has read them.
   */
  settled(key: string): Promise<void>;
  stop(): Promise<void>;
}

function billingConfig(options: BillingHarnessOptions, groupId: string): BillingConfig {
  const { kafkaBrokers, kafkaEnv } = testEnv();
  return loadServiceConfig({
    ...(options.isolatedEnv ? kafkaEnv : process.env),
    DATABASE_URL: serviceDatabaseUrl('billing'),
    KAFKA_BROKERS: kafkaBrokers,
    BILLING_CONSUMER_GROUP: groupId,
    LOG_LEVEL: 'warn',
    ...KEEP_PUBLISHED_OUTBOX,
    ...options.env,
  });
}

async function handledBy(pool: Pool, messages: OutgoingMessage[]): Promise<void> {
  const ids = [...new Set(messages.map((m) => (m.value as { eventId: string }).eventId))];
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM billing.consumed_event WHERE consumer = 'billing' AND event_id = ANY($1)`, [ids]);
    return rows[0].n === ids.length ? true : undefined;
  }, 30_000, `billing to handle ${ids.length} events`);
}

/** Starts billing and the test's Kafka clients; stop() undoes what was started, in reverse. */
export async function startBillingHarness(options: BillingHarnessOptions): Promise<BillingHarness> {
  const { databaseUrl, kafkaBrokers, kafka } = testEnv();
  const groupId = `${options.name}-${randomUUID()}`;
  const pool = new Pool({ connectionString: databaseUrl });
  const started: { app?: NestExpressApplication; bus?: KafkaBus; reader?: TopicReader } = {};
  const stop = async () => {
    await started.reader?.stop();
    await started.bus?.disconnect();
    await started.app?.close();
    await deleteGroup(kafkaBrokers, groupId);
    await pool.end();
  };
  try {
    await startGroupAtEnd(kafkaBrokers, groupId, INPUT_TOPICS);
    started.app = await createServiceApp(AppModule.forRoot(billingConfig(options, groupId)), BILLING_SERVICE, { logger: false });
    await started.app.init();
    started.bus = new KafkaBus({ connection: kafka, clientId: options.name, service: options.name, logger: createLogger(options.name, 'warn') });
    await started.bus.connect();
    if (options.readTopics) started.reader = await new TopicReader(kafkaBrokers, [...options.readTopics]).start();
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  const { app, bus, reader } = started;
  const handled = (messages: OutgoingMessage[]) => handledBy(pool, messages);
  const settled = async (key: string): Promise<void> => {
    await waitForGroupCaughtUp(kafkaBrokers, groupId, INPUT_TOPICS);
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM billing.outbox WHERE key = $1 AND published_at IS NULL`, [key]);
      return rows[0].n === 0 ? true : undefined;
    }, 30_000, `billing's outbox records of ${key} to be published`);
    if (reader) await reader.caughtUp();
  };
  return {
    app,
    bus,
    get reader(): TopicReader {
      if (!reader) throw new Error(`${options.name} reads no topic (readTopics)`);
      return reader;
    },
    pool,
    groupId,
    http: (caller = options.defaultCaller ?? 'ops-viewer') => asCaller(app.getHttpServer(), caller),
    async send(...batches) {
      for (const batch of batches) {
        await bus.publish(batch);
        await handled(batch);
      }
    },
    handled,
    settled,
    stop,
  };
}

/**
 * The harness of one test file: started in a beforeAll, stopped in an afterAll, both registered here
 * (call it at the top level of the file). Its http, send and handled may be taken apart; app, bus,
 * reader, pool and groupId are read when a test or a later hook runs.
 */
export function useBillingHarness(options: BillingHarnessOptions, timeoutMs = 60_000): BillingHarness {
  let started: BillingHarness | undefined;
  beforeAll(async () => {
    started = await startBillingHarness(options);
  }, timeoutMs);
  afterAll(async () => {
    await started?.stop();
  });
  const get = (): BillingHarness => {
    if (!started) throw new Error(`${options.name}: billing is not started (read the harness inside a test or a hook)`);
    return started;
  };
  return {
    get app() {
      return get().app;
    },
    get bus() {
      return get().bus;
    },
    get reader() {
      return get().reader;
    },
    get pool() {
      return get().pool;
    },
    get groupId() {
      return get().groupId;
    },
    http: (caller) => get().http(caller),
    send: (...batches) => get().send(...batches),
    handled: (messages) => get().handled(messages),
    settled: (key) => get().settled(key),
    stop: () => get().stop(),
  };
}
