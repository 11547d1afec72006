import { BeforeApplicationShutdown, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  ConsumerHandle,
  ConsumerOptions,
  KafkaBus,
  Logger,
  OutboxRelay,
  RunInTransaction,
  SqlExecutor,
} from '@slidecharge/messaging';
import { isKafkaPrincipal, TopicName, topicsUsedBy } from '@slidecharge/contracts';
import type { KafkaConnection } from '@slidecharge/kafka-client';
import { assertLeastPrivilegedDatabaseRole } from './database-role-check';
import { ReadinessCheck } from './health';

export interface ServiceRuntimeOptions {
  /** The service's name: its client id, its Kafka principal's name and the producer in dead letters. */
  service: string;
  /** Brokers and the service's own credential. */
  kafka: KafkaConnection;
  logger: Logger;
  /** The service's Prisma client (or anything that runs raw SQL and disconnects). */
  database: SqlExecutor & { $disconnect(): Promise<void> };
  /** When the service publishes through an outbox: its Postgres schema and a transaction runner. */
  outbox?: { schema: string; transaction: RunInTransaction; pollIntervalMs?: number };
}

/**
 * What every slidecharge service runs besides its HTTP API: the Kafka bus, its consumers, the outbox
 * relay and the database connection, with readiness checks over all of them and the shutdown order
 * that loses nothing: stop consumers (the message in flight finishes and its offset is committed),
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
  private readonly consumers: ConsumerHandle[] = [];
  private started: Promise<void> | undefined;

  constructor(private readonly options: ServiceRuntimeOptions) {
    this.logger = options.logger;
    this.bus = new KafkaBus({ connection: options.kafka, clientId: options.service, service: options.service, logger: options.logger });
    this.relay = options.outbox
      ? new OutboxRelay({
          schema: options.outbox.schema,
          bus: this.bus,
          transaction: options.outbox.transaction,
          logger: options.logger,
          ...(options.outbox.pollIntervalMs !== undefined ? { pollIntervalMs: options.outbox.pollIntervalMs } : {}),
        })
      : undefined;
  }

  async onModuleInit(): Promise<void> {
    const roles = await assertLeastPrivilegedDatabaseRole(this.options.database, this.options.service);
    this.logger.info({ postgresRole: roles.join(', ') }, 'connected to Postgres as a least-privileged role');
  }

  /**
   * Connects to Kafka, checks that the topics the service uses (by the topic table) exist, starts the
   * outbox relay. Safe to call more than once.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      await this.bus.connect();
      if (isKafkaPrincipal(this.options.service)) await this.bus.requireTopics(topicsUsedBy(this.options.service));
      this.relay?.start();
    })();
    return this.started;
  }

  /** Starts a consumer group after start(). */
  async subscribe<T extends TopicName>(options: ConsumerOptions<T>): Promise<ConsumerHandle> {
    await this.start();
    const handle = await this.bus.subscribe(options);
    this.consumers.push(handle);
    this.logger.info({ groupId: options.groupId, topics: options.topics }, 'consumer started');
    return handle;
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
          const down = this.consumers.filter((c) => !c.isRunning()).map((c) => c.groupId);
          if (down.length) throw new Error(`consumer groups not running: ${down.join(', ')}`);
          return { groups: this.consumers.map((c) => c.groupId) };
        },
      },
    ];
    const relay = this.relay;
    if (relay) {
      checks.push({
        name: 'outbox-relay',
        check: async () => {
          if (!relay.healthy()) throw new Error('outbox relay is not publishing (see logs)');
          const rows = await this.options.database.$queryRawUnsafe<{ pending: number; oldest_seconds: number | null }[]>(
            `SELECT count(*)::int AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float AS oldest_seconds
               FROM "${this.options.outbox?.schema}".outbox WHERE published_at IS NULL`,
          );
          return { pending: rows[0]?.pending ?? 0, oldestPendingSeconds: rows[0]?.oldest_seconds ?? 0 };
        },
      });
    }
    return checks;
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const c of this.consumers.splice(0)) {
      await c.stop().catch((err: unknown) => this.logger.warn({ err, groupId: c.groupId }, 'consumer stop failed'));
    }
    await this.relay?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.bus.disconnect().catch((err: unknown) => this.logger.warn({ err }, 'kafka disconnect failed'));
    await this.options.database.$disconnect();
    this.logger.info('stopped');
  }
}
