import { Module } from '@nestjs/common';
import { PolicySetStore } from './policy-set.store';
import { PolicySetsController } from './policy-sets.controller';

/** Payer policy sets: the versioned sets, the one in force (cached, invalidated on activation), and their API. */
@Module({
  controllers: [PolicySetsController],
  providers: [PolicySetStore],
  exports: [PolicySetStore],
})
export class PoliciesModule {}
