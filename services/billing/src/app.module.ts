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
import { BillingQueryService } from './charges/billing-query.service';
import { ChargesController } from './charges/charges.controller';
import { BILLING_SCHEMA, BillingRepository } from './charging/billing.repository';
import { ChargingService } from './charging/charging.service';
import { BILLING_CONFIG, BillingConfig } from './config';
import { PrismaService } from './prisma.service';

@Module({})
export class AppModule implements NestModule {
  static forRoot(config: BillingConfig): DynamicModule {
    const logger = createLogger('billing', config.LOG_LEVEL);
    return {
      module: AppModule,
      imports: [loggerModule(logger)],
      controllers: [HealthController, ChargesController],
      providers: [
        { provide: BILLING_CONFIG, useValue: config },
        PrismaService,
        {
          provide: ServiceRuntime,
          inject: [PrismaService],
          useFactory: (prisma: PrismaService) =>
            new ServiceRuntime({
              service: 'billing',
              brokers: config.KAFKA_BROKERS,
              logger,
              database: prisma,
              outbox: { schema: BILLING_SCHEMA, transaction: transactionRunner(prisma) },
            }),
        },
        { provide: READINESS_CHECKS, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.readinessChecks() },
        BillingRepository,
        ChargingService,
        BillingQueryService,
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(CorrelationMiddleware).forRoutes({ path: '*path', method: RequestMethod.ALL });
  }
}
