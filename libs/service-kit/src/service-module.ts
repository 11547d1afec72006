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
import { createLogger, SqlExecutor } from '@slidecharge/messaging';
import { HealthController, READINESS_CHECKS } from './health';
import { CorrelationMiddleware } from './http';
import { loggerModule } from './bootstrap';
import { BaseServiceConfig } from './config';
import { transactionRunner } from './prisma';
import { ServiceRuntime } from './runtime';

/** A service's Prisma client class: raw SQL, transactions, disconnect (see each service's prisma.service.ts). */
type DatabaseClient = SqlExecutor & { $disconnect(): Promise<void>; $transaction: (...args: never[]) => unknown };

/** The base variables the shared wiring reads (every service's config extends baseConfigSchema). */
type BaseConfig = Pick<BaseServiceConfig, 'KAFKA_BROKERS' | 'LOG_LEVEL' | 'DEAD_LETTER_RETENTION_DAYS' | 'DEAD_LETTER_MAX_RECORD_BYTES' | 'OUTBOX_BATCH_MAX_BYTES'>;

export interface ServiceModuleOptions<TConfig extends BaseConfig> {
  /** The service's root module class (extends ServiceAppModule). */
  module: Type<unknown>;
  service: string;
  config: TConfig;
  configToken: InjectionToken;
  database: Type<DatabaseClient>;
  /** The service's Postgres schema, when it publishes through an outbox. */
  outboxSchema?: string;
  /** The service's Postgres schema with a dead_letter table, when it consumes (its consumers need one). */
  deadLetterSchema?: string;
  controllers: NonNullable<ModuleMetadata['controllers']>;
  providers: Provider[];
}

/**
 * The wiring every slidecharge service shares: validated config, JSON logger, its Prisma client, the
 * ServiceRuntime (Kafka bus, consumers, outbox relay, ordered shutdown), readiness checks, and the
 * health/metrics controller. A service adds only its own controllers and providers.
 */
export function serviceModule<TConfig extends BaseConfig>(
  options: ServiceModuleOptions<TConfig>,
): DynamicModule {
  const logger = createLogger(options.service, options.config.LOG_LEVEL);
  return {
    module: options.module,
    imports: [loggerModule(logger)],
    controllers: [HealthController, ...options.controllers],
    providers: [
      { provide: options.configToken, useValue: options.config },
      options.database,
      {
        provide: ServiceRuntime,
        inject: [options.database],
        useFactory: (database: DatabaseClient) =>
          new ServiceRuntime({
            service: options.service,
            brokers: options.config.KAFKA_BROKERS,
            logger,
            database,
            ...(options.outboxSchema
              ? { outbox: { schema: options.outboxSchema, transaction: transactionRunner(database), maxBatchBytes: options.config.OUTBOX_BATCH_MAX_BYTES } }
              : {}),
            ...(options.deadLetterSchema
              ? {
                  deadLetters: {
                    schema: options.deadLetterSchema,
                    retentionDays: options.config.DEAD_LETTER_RETENTION_DAYS,
                    maxRecordBytes: options.config.DEAD_LETTER_MAX_RECORD_BYTES,
                  },
                }
              : {}),
          }),
      },
      { provide: READINESS_CHECKS, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.readinessChecks() },
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

