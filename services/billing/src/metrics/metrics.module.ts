import { Module } from '@nestjs/common';
import { BillingMetricsService } from './billing-metrics.service';

/** Billing's Prometheus metrics: charges posted and credited, lags, held value. */
@Module({
  providers: [BillingMetricsService],
  exports: [BillingMetricsService],
})
export class MetricsModule {}
