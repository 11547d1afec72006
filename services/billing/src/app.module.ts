import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule } from '@slidecharge/service-kit';
import { BillingQueryService } from './charges/billing-query.service';
import { ChargesController } from './charges/charges.controller';
import { UnmatchedScansController } from './charges/unmatched-scans.controller';
import { UnmatchedScansService } from './charges/unmatched-scans.service';
import { BILLING_SCHEMA, BillingRepository } from './charging/billing.repository';
import { ChargingService } from './charging/charging.service';
import { BILLING_CONFIG, BillingConfig } from './config';
import { DeliveriesController } from './delivery/deliveries.controller';
import { DeliveriesService } from './delivery/deliveries.service';
import { DeliveryQueue } from './delivery/delivery.queue';
import { DeliveryRepository } from './delivery/delivery.repository';
import { DeliveryWorker } from './delivery/delivery.worker';
import { FhirController } from './fhir/fhir.controller';
import { FhirChargeItemService } from './fhir/fhir.service';
import { fhirSettingsProvider } from './fhir/fhir-settings.provider';
import { BillingMetricsService } from './metrics/billing-metrics.service';
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
      accessAuditSchema: BILLING_SCHEMA,
      deadLetterSchema: BILLING_SCHEMA,
      controllers: [ChargesController, UnmatchedScansController, ReviewController, PolicySetsController, FhirController, DeliveriesController],
      providers: [BillingRepository, UnmatchedScansService, PolicySetStore, ChargingService, BillingQueryService, ReviewService, FhirChargeItemService, fhirSettingsProvider, DeliveryRepository, DeliveryQueue, DeliveryWorker, DeliveriesService, BillingMetricsService],
    });
  }
}
