import { BeforeApplicationShutdown, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  ConsumerHandle,
  ConsumerLagMonitor,
  DeadLetterReplayAnswer,
  DeadLetterRetention,
  EventTopic,
  ExactlyOnceConsumerOptions,
  Inbox,
  KafkaBus,
  Logger,
  OutboxRelay,
  OutboxRetention,
  ReplayRequest,
  RunInTransaction,
  SqlDeadLetterArchive,
  SqlDeadLetterStore,
  SqlExecutor,
  trackOpenDeadLetters,
} from '@slidecharge/messaging';
import { isKafkaPrincipal, TopicName, topicsUsedBy } from '@slidecharge/contracts';
import type { KafkaConnection } from '@slidecharge/kafka-client';
import { assertLeastPrivilegedDatabaseRole } from './database-role-check';
import { PgTransactions, pgTransactions } from './pg-transactions';
import { ReadinessCheck } from './health';

export interface ServiceRuntimeOptions {
  /** The service's name: its client id, its Kafka principal's name and the producer in dead letters. */
  service: string;
  /** Brokers and the service's own credential. */
  kafka: KafkaConnection;
  logger: Logger;
  /** The service's Prisma client (or anything that runs raw SQL and disconnects). */
  database: SqlExecutor & { $disconnect(): Promise<void> };
  /** The service's DATABASE_URL, for the raw-SQL pools of its hot paths (rawSql). */
  databaseUrl?: string;
  /** When the service publishes through an outbox: its Postgres schema and a transaction runner. */
  outbox?: {
    schema: string;
    /** The relay's transactions; by default two connections of a rawSql pool of its own (`<service>-outbox-relay`). */
    transaction?: RunInTransaction;
    pollIntervalMs?: number;
    maxBatchBytes?: number;
    /** LISTEN for the outbox's insert notifications with these connection settings (OutboxRelayOptions.listen). */
    listen?: { connection: string };
    /**
     * Days a published record is kept, marked (purged hourly, from 5 minutes after start); 0 or undefined:
     * the relay deletes it as it publishes it (OutboxRelayOptions.keepPublished).
     */
    retentionDays?: number;
    purgeIntervalMs?: number;
  };
  /**
   * When the service consumes: the schema whose dead_letter table keeps every dead-lettered message
   * whole, how long it keeps them (purged at start and hourly) and the largest dead-letter record.
   */
  deadLetters?: {
    schema: string;
    retentionDays: number;
    maxRecordBytes?: number;
    purgeIntervalMs?: number;
    /** Transactions of dead-letter replays (the row stays locked while the consumer's handler runs). */
    transaction?: RunInTransaction;
  };
  /** How often the lag of the service's consumer groups is read into slidecharge_consumer_lag (default 15 s). */
  consumerLagIntervalMs?: number;
}

/** Statement and idle-in-transaction timeout of the raw-SQL pools: a stuck transaction cannot hold its locks for ever. */
const RAW_SQL_TIMEOUT_MS = 30_000;

/**
 * What every slidecharge service runs besides its HTTP API: the Kafka bus, its consumers, the outbox
 * relay and the database connection, with readiness checks over all of them and the shutdown order
 * that loses nothing: stop consumers (the chunk in flight finishes and its offsets are committed),
 * stop the relay (the batch in flight finishes), then disconnect Kafka and Postgres.
 * Before any of that, at module init (before every provider's onApplicationBootstrap), it refuses to
 * start when the database connection has more rights than the service's own schema needs (a superuser,
 * CREATEROLE, CREATEDB, BYPASSRLS, ...: see database-role.ts).
 * Provide one per service with a factory provider; Nest calls the lifecycle hooks.
 */
export class ServiceRuntime implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  readonly bus: KafkaBus;
  readonly logger: Logger;
  private readonly relay: OutboxRelay | undefined;
  private readonly retention: DeadLetterRetention | undefined;
  private readonly outboxRetention: OutboxRetention | undefined;
  /** The service's dead letters for people (list, read, replay); undefined when it consumes nothing. */
  readonly deadLetters: SqlDeadLetterArchive | undefined;
  private untrackDeadLetters: (() => void) | undefined;
  private readonly consumers: ConsumerHandle[] = [];
  private readonly lag: ConsumerLagMonitor;
  private started: Promise<void> | undefined;
  /** The raw-SQL pools made by rawSql(), closed after the consumers and the relay have stopped. */
  private readonly pools: PgTransactions[] = [];

  constructor(private readonly options: ServiceRuntimeOptions) {
    this.logger = options.logger;
    const deadLetters = options.deadLetters;
    const store = deadLetters ? new SqlDeadLetterStore(options.database, deadLetters.schema) : undefined;
    this.bus = new KafkaBus({
      connection: options.kafka,
      clientId: options.service,
      service: options.service,
      logger: options.logger,
      ...(store && deadLetters ? { deadLetters: { store, maxRecordBytes: deadLetters.maxRecordBytes } } : {}),
    });
    this.retention =
      store && deadLetters
        ? new DeadLetterRetention({
            store,
            schema: deadLetters.schema,
            retentionDays: deadLetters.retentionDays,
            logger: options.logger,
            ...(deadLetters.purgeIntervalMs !== undefined ? { intervalMs: deadLetters.purgeIntervalMs } : {}),
          })
        : undefined;
    const outbox = options.outbox;
    this.outboxRetention =
      outbox?.retentionDays
        ? new OutboxRetention({
            schema: outbox.schema,
            database: options.database,
            retentionDays: outbox.retentionDays,
            logger: options.logger,
            ...(outbox.purgeIntervalMs !== undefined ? { intervalMs: outbox.purgeIntervalMs } : {}),
          })
        : undefined;
    this.deadLetters =
      deadLetters?.transaction !== undefined ? new SqlDeadLetterArchive(options.database, deadLetters.transaction, deadLetters.schema) : undefined;
    this.relay = options.outbox
      ? new OutboxRelay({
          schema: options.outbox.schema,
          bus: this.bus,
          transaction: options.outbox.transaction ?? this.relayTransactions(),
          logger: options.logger,
          ...(options.outbox.pollIntervalMs !== undefined ? { pollIntervalMs: options.outbox.pollIntervalMs } : {}),
          ...(options.outbox.maxBatchBytes !== undefined ? { maxBatchBytes: options.outbox.maxBatchBytes } : {}),
          // Kept exactly when something purges them.
          keepPublished: this.outboxRetention !== undefined,
          ...(options.outbox.listen ? { listen: options.outbox.listen } : {}),
        })
      : undefined;
    this.lag = new ConsumerLagMonitor({
      read: async (groupId, topics) => {
        const [reading] = await this.bus.consumerLag([{ group: groupId, topics: topics as readonly TopicName[] }]);
        return reading ?? { group: groupId, lag: 0, byTopic: {} };
      },
      logger: options.logger,
      ...(options.consumerLagIntervalMs !== undefined ? { intervalMs: options.consumerLagIntervalMs } : {}),
    });
  }

  async onModuleInit(): Promise<void> {
    const roles = await assertLeastPrivilegedDatabaseRole(this.options.database, this.options.service);
    this.logger.info({ postgresRole: roles.join(', ') }, 'connected to Postgres as a least-privileged role');
  }

  /**
   * Connects to Kafka, checks that the topics the service uses (by the topic table) exist, starts the
   * outbox relay and the retention purges (dead letters, published outbox records). Safe to call more than once.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.bus.connect();
      if (isKafkaPrincipal(this.options.service)) await this.bus.requireTopics(topicsUsedBy(this.options.service));
      this.relay?.start();
      this.retention?.start();
      this.outboxRetention?.start();
      const archive = this.deadLetters;
      if (archive) this.untrackDeadLetters ??= trackOpenDeadLetters(() => archive.openCounts());
    })();
    return this.started;
  }

  /**
   * Starts an exactly-once consumer group after start(): batches of each partition applied in one
   * transaction with their consumed event ids and outgoing events (KafkaBus.consume). Build its inbox
   * with inbox().
   */
  async consume<T extends EventTopic, TX extends SqlExecutor>(options: ExactlyOnceConsumerOptions<T, TX>): Promise<ConsumerHandle> {
    await this.start();
    const handle = await this.bus.consume(options);
    this.consumers.push(handle);
    this.lag.watch(options.groupId, options.topics);
    this.logger.info({ groupId: options.groupId, topics: options.topics }, 'consumer started');
    return handle;
  }

  /**
   * A pool of `connections` pg connections for a hot path whose statements are all hand-written SQL
   * (a consumer applying batches, an ingest door, a sender): pgTransactions, under `applicationName`
   * in pg_stat_activity, each statement and idle transaction bounded to 30 s. The runtime closes it at
   * shutdown, after its consumers and its relay have stopped, so no batch in flight loses its connection.
   */
  rawSql(applicationName: string, connections: number): PgTransactions {
    if (!this.options.databaseUrl) throw new Error(`${this.options.service}: rawSql needs ServiceRuntimeOptions.databaseUrl`);
    const pool = pgTransactions(this.options.databaseUrl, { max: connections, timeoutMs: RAW_SQL_TIMEOUT_MS, applicationName });
    this.pools.push(pool);
    return pool;
  }

  /** The relay's statements are raw SQL on two connections of their own, without Prisma's per-query cost. */
  private relayTransactions(): RunInTransaction {
    const pool = this.rawSql(`${this.options.service}-outbox-relay`, 2);
    return (fn) => pool.transaction(fn);
  }

  /**
   * The service's inbox for an exactly-once consumer: its schema's consumed_event and outbox tables,
   * events recorded under `consumer`, transactions opened by `transaction` (the service's Prisma
   * $transaction), the outbox relay woken after a commit that wrote to the outbox.
   */
  inbox<TX extends SqlExecutor>(consumer: string, transaction: <R>(fn: (tx: TX) => Promise<R>) => Promise<R>): Inbox<TX> {
    const schema = this.options.outbox?.schema ?? this.options.deadLetters?.schema;
    if (!schema) throw new Error(`${this.options.service} has neither an outbox nor a dead-letter schema: it has no inbox`);
    return { schema, consumer, transaction, outboxWritten: () => this.wakeRelay(), logger: this.logger };
  }

  /**
   * Replays a dead letter of this service through the consumer that dead-lettered it (same group,
   * same handler) and records who and why; undefined for an unknown id.
   */
  async replayDeadLetter(id: string, request: ReplayRequest): Promise<DeadLetterReplayAnswer | undefined> {
    if (!this.deadLetters) throw new Error(`${this.options.service} keeps no dead letters`);
    const answer = await this.deadLetters.replay(id, request, (message) => this.bus.replay(message));
    if (answer && !answer.alreadyReplayed) {
      const { topic, reason } = answer.deadLetter;
      this.logger.info({ deadLetterId: id, topic, reason, outcome: answer.outcome, by: request.by }, `dead letter replayed: ${answer.outcome}`);
    }
    return answer;
  }

  /** Call after committing a transaction that wrote to the outbox, to publish without waiting for the poll. */
  wakeRelay(): void {
    this.relay?.wake();
  }

  readinessChecks(): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [
      {
        name: 'postgres',
        check: async () => {
          await this.options.database.$queryRawUnsafe('SELECT 1');
        },
      },
      { name: 'kafka', check: async () => this.bus.ping() },
      {
        name: 'consumers',
        check: async () => {
          const down = this.consumers.filter((c) => !c.isRunning()).map((c) => `${c.groupId} (${c.status().reason ?? 'not running'})`);
          if (down.length) throw new Error(`consumer groups not running: ${down.join(', ')}; the bus restarts them with backoff`);
          const restarts = this.consumers.reduce((sum, c) => sum + c.status().restarts, 0);
          return { groups: this.consumers.map((c) => c.groupId), restarts };
        },
      },
    ];
    const relay = this.relay;
    if (relay) {
      checks.push({
        name: 'outbox-relay',
        // Parked records are reported, not failed on: one record the broker refuses must not take the
        // service out of the load balancer for good (everything else still flows; the relay logs an
        // error and counts it in slidecharge_outbox_parked, which is what to alert on).
        check: async () => {
          if (!relay.healthy()) throw new Error(`outbox relay is not publishing: ${relay.failure() ?? 'see logs'}`);
          // `backlog` (records not yet published) is read by the ops console under that name; `pending` is its older name.
          const { backlog, oldestSeconds } = await relay.backlog();
          const parked = await relay.parkedCount();
          return {
            backlog,
            pending: backlog,
            wokenBy: relay.listening() ? 'notifications' : 'polling',
            oldestPendingSeconds: oldestSeconds,
            parked,
            ...(parked > 0 ? { warning: `${parked} parked record(s) refused by the broker wait for an operator (docs/operations.md)` } : {}),
          };
        },
      });
    }
    return checks;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.lag.stop();
    for (const c of this.consumers.splice(0)) {
      await c.stop().catch((err: unknown) => this.logger.warn({ err, groupId: c.groupId }, 'consumer stop failed'));
    }
    await this.relay?.stop();
    await this.retention?.stop();
    await this.outboxRetention?.stop();
    this.untrackDeadLetters?.();
    this.untrackDeadLetters = undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    for (const pool of this.pools.splice(0)) await pool.end().catch((err: unknown) => this.logger.warn({ err }, 'closing a pg pool failed'));
    await this.bus.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'kafka disconnect failed'));
    await this.options.database.$disconnect();
    this.logger.info('stopped');
  }
}
