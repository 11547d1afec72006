import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { ConsumerLagService } from './consumer-lag.service';
import { OverviewController } from './overview.controller';
import { OverviewService } from './overview.service';

/** The console's numbers: GET /api/overview and the lag chart. */
@Module({
  imports: [ProjectionModule, UpstreamModule],
  controllers: [OverviewController],
  providers: [OverviewService, ConsumerLagService],
  exports: [OverviewService],
})
export class OverviewModule {}
