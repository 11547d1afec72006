import { Module } from '@nestjs/common';
import { OverviewModule } from '../overview/overview.module';
import { ProjectionModule } from '../projection/projection.module';
import { LiveController } from './live.controller';
import { LiveService } from './live.service';

/** GET /api/live: the numbers and the charges as they happen (server-sent events). */
@Module({ imports: [OverviewModule, ProjectionModule], controllers: [LiveController], providers: [LiveService] })
export class LiveModule {}
