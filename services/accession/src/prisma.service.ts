import { Inject, Injectable } from '@nestjs/common';
import { RunInTransaction } from '@slidecharge/messaging';
import { createPgAdapter } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/** The accession schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(ACCESSION_CONFIG) config: AccessionConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }

  /**
   * Interactive transactions for the outbox relay. Same as service-kit's transactionRunner, which the
   * compiler refuses for a generated client: TypeScript matches its `$transaction` against the first
   * (array) overload of PrismaClient.$transaction.
   */
  transactionRunner(timeoutMs = 30_000): RunInTransaction {
    return (fn) => this.$transaction((tx) => fn(tx), { timeout: timeoutMs, maxWait: timeoutMs });
  }
}
