import { DynamicModule, Module } from '@nestjs/common';
import { HTTP_SETTINGS, READINESS_CHECKS, serviceModule, ServiceAppModule, ServiceRuntime } from '@slidecharge/service-kit';
import { ChargesModule } from './charges/charges.module';
import { ChargingModule } from './charging/charging.module';
import { BILLING_CONFIG, BillingConfig } from './config';
import { DeliveryModule } from './delivery/delivery.module';
import { FhirModule } from './fhir/fhir.module';
import { MetricsModule } from './metrics/metrics.module';
import { PoliciesModule } from './policies/policies.module';
import { BILLING_SCHEMA, PrismaService } from './prisma.service';
import { ReviewModule } from './review/review.module';

/**
 * The shared wiring of every slidecharge service (config, logger, Prisma, ServiceRuntime with billing's
 * outbox, inbox and dead letters, auth, access guard and audit, health and metrics), global so that the
 * feature modules inject it.
 */
@Module({})
export class BillingCoreModule extends ServiceAppModule {
  static forRoot(config: BillingConfig): DynamicModule {
    const core = serviceModule({
      module: BillingCoreModule,
      service: 'billing',
      config,
      configToken: BILLING_CONFIG,
      database: PrismaService,
      outboxSchema: BILLING_SCHEMA,
      accessAuditSchema: BILLING_SCHEMA,
      deadLetterSchema: BILLING_SCHEMA,
      controllers: [],
      providers: [],
    });
    return { ...core, global: true, exports: [BILLING_CONFIG, HTTP_SETTINGS, PrismaService, ServiceRuntime, READINESS_CHECKS] };
  }
}

/**
 * The billing service: charge capture from the input topics (charging), the payer policy sets, the
 * DFT^P03 delivery, the read API and review queue, FHIR ChargeItems and the metrics.
 */
@Module({})
export class AppModule {
  static forRoot(config: BillingConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [BillingCoreModule.forRoot(config), PoliciesModule, MetricsModule, DeliveryModule, ChargingModule, ChargesModule, ReviewModule, FhirModule],
    };
  }
}
