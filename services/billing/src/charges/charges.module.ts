import { Module } from '@nestjs/common';
import { ChargingModule } from '../charging/charging.module';
import { PoliciesModule } from '../policies/policies.module';
import { BillingQueryService } from './billing-query.service';
import { ChargesController } from './charges.controller';
import { UnmatchedScansController } from './unmatched-scans.controller';
import { UnmatchedScansService } from './unmatched-scans.service';

/** What billing staff read: charges, a case's billing view, the review queue's list and the unmatched scans. */
@Module({
  imports: [ChargingModule, PoliciesModule],
  controllers: [ChargesController, UnmatchedScansController],
  providers: [BillingQueryService, UnmatchedScansService],
  exports: [BillingQueryService],
})
export class ChargesModule {}
