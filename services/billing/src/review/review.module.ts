import { Module } from '@nestjs/common';
import { ChargesModule } from '../charges/charges.module';
import { ChargingModule } from '../charging/charging.module';
import { MetricsModule } from '../metrics/metrics.module';
import { ReviewController } from './review.controller';
import { ReviewService } from './review.service';

/** The review queue's actions: release a held charge with a justification, or void it. */
@Module({
  imports: [ChargingModule, ChargesModule, MetricsModule],
  controllers: [ReviewController],
  providers: [ReviewService],
})
export class ReviewModule {}
