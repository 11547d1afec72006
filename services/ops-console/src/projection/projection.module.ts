import { Module } from '@nestjs/common';
import { ProjectionChanges } from './projection-changes.service';
import { ProjectionRepository } from './projection.repository';
import { ProjectionService } from './projection.service';

/** The read model: the topics' facts in schema ops_console, and its changes for the live stream. */
@Module({
  providers: [ProjectionRepository, ProjectionService, ProjectionChanges],
  exports: [ProjectionRepository, ProjectionChanges],
})
export class ProjectionModule {}
