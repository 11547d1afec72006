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
import { CasesController } from './cases/cases.controller';
import { ACCESSION_SCHEMA, CaseRepository } from './cases/case.repository';
import { CasesService } from './cases/cases.service';
import { ACCESSION_CONFIG, AccessionConfig } from './config';
import { PrismaService } from './prisma.service';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: AccessionConfig): DynamicModule {
    const logger = createLogger('accession', config.LOG_LEVEL);
    return {
      module: AppModule,
      imports: [loggerModule(logger)],
      controllers: [HealthController, CasesController],
      providers: [
        { provide: ACCESSION_CONFIG, useValue: config },
        PrismaService,
        {
          provide: ServiceRuntime,
          inject: [PrismaService],
          useFactory: (prisma: PrismaService) =>
            new ServiceRuntime({
              service: 'accession',
              brokers: config.KAFKA_BROKERS,
              logger,
              database: prisma,
              outbox: { schema: ACCESSION_SCHEMA, transaction: transactionRunner(prisma) },
            }),
        },
        { provide: READINESS_CHECKS, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.readinessChecks() },
        CaseRepository,
        CasesService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
