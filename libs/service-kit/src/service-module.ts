import {
  DynamicModule,
  InjectionToken,
  MiddlewareConsumer,
  ModuleMetadata,
  NestModule,
  Provider,
  RequestMethod,
  Type,
} from '@nestjs/common';
import { describeKafkaConnection } from '@slidecharge/kafka-client';
import { createLogger, SqlExecutor } from '@slidecharge/messaging';
import type { ServiceName } from './auth/access-matrix';
import type { AuthConfig } from './auth/auth.config';
import { authProviders, identityProviderCheck } from './auth/auth.providers';
import { OidcTokenVerifier } from './auth/token-verifier';
import { BaseConfig, kafkaConnectionOf } from './config';
import { HealthController, READINESS_CHECKS, ReadinessCheck } from './health';
import { HttpConfig, HTTP_SETTINGS, httpSettingsFrom } from './http-settings';
import { CorrelationMiddleware } from './http';
import { loggerModule } from './bootstrap';
import { transactionRunner } from './prisma';
import { ServiceRuntime } from './runtime';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DeadLettersService } from './dead-letters/dead-letters.service';

/** How long a dead-letter replay may hold its row lock (the consumer's handler runs meanwhile; billing's own transactions stop at 30 s). */
export const DEAD_LETTER_REPLAY_TIMEOUT_MS = 120_000;

/** A service's Prisma client class: raw SQL, transactions, disconnect (see each service's prisma.service.ts). */
type DatabaseClient = SqlExecutor & { $disconnect(): Promise<void>; $transaction: (...args: never[]) => unknown };

/** What the shared wiring reads of a service's configuration. */
type WiringConfig = AuthConfig &
  HttpConfig &
  Pick<
    BaseConfig,
    | 'LOG_LEVEL'
    | 'SLIDECHARGE_ENV'
    | 'KAFKA_BROKERS'
    | 'KAFKA_SASL_MECHANISM'
    | 'KAFKA_SASL_USERNAME'
    | 'KAFKA_SASL_PASSWORD'
    | 'KAFKA_SASL_PASSWORD_FILE'
    | 'KAFKA_TLS'
    | 'KAFKA_TLS_CA_FILE'
    | 'DEAD_LETTER_RETENTION_DAYS'
    | 'OUTBOX_RETENTION_DAYS'
    | 'DEAD_LETTER_MAX_RECORD_BYTES'
    | 'OUTBOX_BATCH_MAX_BYTES'
    | 'DATABASE_URL'
  >;

export interface ServiceModuleOptions<TConfig extends WiringConfig> {
  /** The service's root module class (extends ServiceAppModule). */
  module: Type<unknown>;
  service: ServiceName;
  config: TConfig;
  configToken: InjectionToken;
  database: Type<DatabaseClient>;
  /** The service's Postgres schema, when it publishes through an outbox. */
  outboxSchema?: string;
  /** The Postgres schema with its access_audit table, when routes of the service serve patient data. */
  accessAuditSchema?: string;
  /** The service provides API_KEY_AUTHENTICATOR (scanner-events' API keys). */
  apiKeys?: boolean;
  /** Readiness checks of the service's own, besides Postgres, Kafka, consumers, outbox relay and identity provider. */
  readiness?: { inject: InjectionToken[]; checks: (...dependencies: never[]) => ReadinessCheck[] };
  /**
   * The service's Postgres schema with a dead_letter table, when it consumes (its consumers need one).
   * The service then also serves the dead-letter routes (dead-letters/: list, read, replay), with
   * reads of an original audited in that schema's access_audit unless accessAuditSchema says otherwise.
   */
  deadLetterSchema?: string;
  controllers: NonNullable<ModuleMetadata['controllers']>;
  providers: Provider[];
  /** Paths that need no credential besides the health probes: files of a web front end, its sign-in settings (no data). */
  openPaths?: (path: string) => boolean;
  /** Media types of request bodies a route reads itself (e.g. application/dicom); other non-JSON bodies are refused with 415. */
  streamedMediaTypes?: readonly string[];
}

/**
 * The wiring every slidecharge service shares: validated config, JSON logger, its Prisma client, the
 * ServiceRuntime (Kafka bus, consumers, outbox relay, ordered shutdown), readiness checks, the
 * health/metrics controller, and the HTTP settings createServiceApp applies (HTTP_SETTINGS). A
 * service adds only its own controllers and providers.
 */
export function serviceModule<TConfig extends WiringConfig>(options: ServiceModuleOptions<TConfig>): DynamicModule {
  const logger = createLogger(options.service, options.config.LOG_LEVEL);
  const readiness = options.readiness ?? { inject: [], checks: () => [] };
  const kafka = kafkaConnectionOf(options.config);
  const deadLetterRoutes = options.deadLetterSchema !== undefined;
  const accessAuditSchema = options.accessAuditSchema ?? options.deadLetterSchema;
  if (!kafka.sasl || !kafka.tls) logger.warn(describeKafkaConnection(kafka), 'Kafka without SASL or without TLS: development only');
  return {
    module: options.module,
    imports: [loggerModule(logger)],
    controllers: [HealthController, ...(deadLetterRoutes ? [DeadLettersController] : []), ...options.controllers],
    providers: [
      { provide: options.configToken, useValue: options.config },
      { provide: HTTP_SETTINGS, useValue: httpSettingsFrom(options.config, options.streamedMediaTypes) },
      options.database,
      {
        provide: ServiceRuntime,
        inject: [options.database],
        useFactory: (database: DatabaseClient) =>
          new ServiceRuntime({
            service: options.service,
            kafka,
            logger,
            database,
            databaseUrl: options.config.DATABASE_URL,
            ...(options.outboxSchema
              ? {
                  outbox: {
                    schema: options.outboxSchema,
                    maxBatchBytes: options.config.OUTBOX_BATCH_MAX_BYTES,
                    // The relay LISTENs for the outbox's insert notifications with the pool's own settings.
                    listen: { connection: options.config.DATABASE_URL },
                    retentionDays: options.config.OUTBOX_RETENTION_DAYS,
                  },
                }
              : {}),
            ...(options.deadLetterSchema
              ? {
                  deadLetters: {
                    schema: options.deadLetterSchema,
                    retentionDays: options.config.DEAD_LETTER_RETENTION_DAYS,
                    maxRecordBytes: options.config.DEAD_LETTER_MAX_RECORD_BYTES,
                    transaction: transactionRunner(database, DEAD_LETTER_REPLAY_TIMEOUT_MS),
                  },
                }
              : {}),
          }),
      },
      {
        provide: READINESS_CHECKS,
        inject: [ServiceRuntime, OidcTokenVerifier, ...readiness.inject],
        useFactory: (runtime: ServiceRuntime, verifier: OidcTokenVerifier, ...dependencies: never[]) => [
          ...runtime.readinessChecks(),
          identityProviderCheck(verifier),
          ...readiness.checks(...dependencies),
        ],
      },
      ...authProviders({
        service: options.service,
        config: options.config,
        logger,
        database: options.database,
        apiKeys: options.apiKeys ?? false,
        ...(options.openPaths ? { openPaths: options.openPaths } : {}),
        ...(accessAuditSchema ? { accessAuditSchema } : {}),
      }),
      ...(deadLetterRoutes ? [DeadLettersService] : []),
      ...options.providers,
    ],
  };
}

/** Base class of every service's root module: runs each request inside its correlation id. */
export abstract class ServiceAppModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
