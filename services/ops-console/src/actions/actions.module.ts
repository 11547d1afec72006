import { Module } from '@nestjs/common';
import { UpstreamModule } from '../upstream/upstream.module';
import { BillingActionsController } from './billing-actions.controller';
import { LabListsController } from './lab-lists.controller';
import { PassThroughService } from './pass-through.service';

/** The console's actions and work lists, forwarded to the owning services under the caller's token. */
@Module({ imports: [UpstreamModule], controllers: [BillingActionsController, LabListsController], providers: [PassThroughService] })
export class ActionsModule {}
