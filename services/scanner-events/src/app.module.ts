import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createLogger, Logger, RunInTransaction } from '@slidecharge/messaging';
import {
  CorrelationMiddleware,
  HealthController,
  loggerModule,
  READINESS_CHECKS,
  ServiceRuntime,
} from '@slidecharge/service-kit';
import { CONFIG, LOGGER, PG_SCHEMA, SERVICE_NAME, ServiceConfig } from './config';
import { installJsonBodyLimit, JSON_BODY_LIMIT } from './http-body-limit';
import { PrismaService } from './prisma.service';
import { ReceiptRepository } from './scan-events/receipt.repository';
import { ScanEventsController, SlideScansController } from './scan-events/scan-events.controller';
import { ScanIngestService } from './scan-events/scan-ingest.service';

/**
 * Interactive transactions for the outbox relay. (service-kit's transactionRunner does not type-check
 * with a Prisma 6.19 client: its $transaction overloads do not match the lib's one-signature type.)
 */
function prismaTransactionRunner(prisma: PrismaService, timeoutMs = 30_000): RunInTransaction {
  return (fn) => prisma.$transaction((tx) => fn(tx), { timeout: timeoutMs, maxWait: timeoutMs });
}

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
    return {
      module: AppModule,
      imports: [loggerModule(logger)],
      controllers: [HealthController, ScanEventsController, SlideScansController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        PrismaService,
        {
          provide: ServiceRuntime,
          inject: [PrismaService],
          useFactory: (prisma: PrismaService) =>
            new ServiceRuntime({
              service: SERVICE_NAME,
              brokers: config.KAFKA_BROKERS,
              logger,
              database: prisma,
              outbox: { schema: PG_SCHEMA, transaction: prismaTransactionRunner(prisma) },
            }),
        },
        { provide: READINESS_CHECKS, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.readinessChecks() },
        {
          provide: JSON_BODY_LIMIT,
          inject: [HttpAdapterHost, LOGGER],
          useFactory: (host: HttpAdapterHost, log: Logger) => installJsonBodyLimit(host, config.SCAN_BATCH_MAX, log),
        },
        ReceiptRepository,
        ScanIngestService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationMiddleware).forRoutes('*');
  }
}
