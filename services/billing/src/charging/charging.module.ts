import { Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { MetricsModule } from '../metrics/metrics.module';
import { PoliciesModule } from '../policies/policies.module';
import { BillingRepository } from './billing.repository';
import { ChargePosting } from './charge-posting.service';
import { ChargingService } from './charging.service';

/** Charge capture: the input topics consumed exactly once, decided by the billing rules, posted and credited. */
@Module({
  imports: [PoliciesModule, DeliveryModule, MetricsModule],
  providers: [BillingRepository, ChargePosting, ChargingService],
  exports: [BillingRepository, ChargePosting],
})
export class ChargingModule {}
