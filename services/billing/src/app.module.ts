import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule } from '@slidecharge/service-kit';
import { BillingQueryService } from './charges/billing-query.service';
import { ChargesController } from './charges/charges.controller';
import { BILLING_SCHEMA, BillingRepository } from './charging/billing.repository';
import { ChargingService } from './charging/charging.service';
import { BILLING_CONFIG, BillingConfig } from './config';
import { PolicySetStore } from './policies/policy-set.store';
import { PolicySetsController } from './policies/policy-sets.controller';
import { PrismaService } from './prisma.service';
import { ReviewController } from './review/review.controller';
import { ReviewService } from './review/review.service';

@Module({})
export class AppModule extends ServiceAppModule {
  static forRoot(config: BillingConfig): DynamicModule {
    return serviceModule({
      module: AppModule,
      service: 'billing',
      config,
      configToken: BILLING_CONFIG,
      database: PrismaService,
      outboxSchema: BILLING_SCHEMA,
      controllers: [ChargesController, ReviewController, PolicySetsController],
      providers: [BillingRepository, PolicySetStore, ChargingService, BillingQueryService, ReviewService],
    });
  }
}
