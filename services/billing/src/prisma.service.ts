import { Inject, Injectable } from '@nestjs/common';
import { RunInTransaction } from '@slidecharge/messaging';
import { createPgAdapter } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/** The billing schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(BILLING_CONFIG) config: BillingConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }

  /**
   * Interactive transactions for the outbox relay. Same as service-kit's transactionRunner, which the
   * compiler refuses for a generated client (it matches the array overload of `$transaction`).
   */
  transactionRunner(timeoutMs = 30_000): RunInTransaction {
    return (fn) => this.$transaction((tx) => fn(tx), { timeout: timeoutMs, maxWait: timeoutMs });
  }
}
