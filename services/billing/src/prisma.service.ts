import { Inject, Injectable } from '@nestjs/common';
import { createPgAdapter } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/** The billing schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(BILLING_CONFIG) config: BillingConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }
}
