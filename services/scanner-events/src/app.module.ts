import { DynamicModule, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { createLogger } from '@slidecharge/messaging';
import {
  CorrelationMiddleware,
  HealthController,
  loggerModule,
  READINESS_CHECKS,
  ServiceRuntime,
  transactionRunner,
} from '@slidecharge/service-kit';
import { CONFIG, LOGGER, PG_SCHEMA, SERVICE_NAME, ServiceConfig } from './config';
import { PrismaService } from './prisma.service';
import { ReceiptRepository } from './scan-events/receipt.repository';
import { ScanEventsController, SlideScansController } from './scan-events/scan-events.controller';
import { ScanIngestService } from './scan-events/scan-ingest.service';

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
              outbox: { schema: PG_SCHEMA, transaction: transactionRunner(prisma) },
            }),
        },
        { provide: READINESS_CHECKS, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.readinessChecks() },
        ReceiptRepository,
        ScanIngestService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationMiddleware).forRoutes('*');
  }
}
