import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { TimelineController } from './timeline.controller';
import { TimelineService } from './timeline.service';

/** GET /api/cases/:accessionNumber/timeline. */
@Module({ imports: [UpstreamModule, ProjectionModule], controllers: [TimelineController], providers: [TimelineService] })
export class TimelineModule {}
