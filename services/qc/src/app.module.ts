import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { createLogger } from '@slidecharge/messaging';
import {
  CorrelationMiddleware,
  HealthController,
  loggerModule,
  READINESS_CHECKS,
  ServiceRuntime,
  transactionRunner,
} from '@slidecharge/service-kit';
import { QC_CONFIG, QcConfig } from './config';
import { PrismaService } from './prisma.service';
import { QcController } from './qc/qc.controller';
import { QcRepository } from './qc/qc.repository';
import { QC_SCHEMA, QcService } from './qc/qc.service';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: QcConfig): DynamicModule {
    const logger = createLogger('qc', config.LOG_LEVEL);
    return {
      module: AppModule,
      imports: [loggerModule(logger)],
      controllers: [HealthController, QcController],
      providers: [
        { provide: QC_CONFIG, useValue: config },
        PrismaService,
        {
          provide: ServiceRuntime,
          inject: [PrismaService],
          useFactory: (prisma: PrismaService) =>
            new ServiceRuntime({
              service: 'qc',
              brokers: config.KAFKA_BROKERS,
              logger,
              database: prisma,
              outbox: { schema: QC_SCHEMA, transaction: transactionRunner(prisma) },
            }),
        },
        { provide: READINESS_CHECKS, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.readinessChecks() },
        QcRepository,
        QcService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
