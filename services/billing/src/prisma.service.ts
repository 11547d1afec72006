import { Inject, Injectable } from '@nestjs/common';
import { createPgAdapter } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from './config';
import { Prisma, PrismaClient } from './generated/prisma/client';

/** A Prisma interactive-transaction client, or the Prisma client itself for reads outside one. */
export type Db = Prisma.TransactionClient;

/** Billing's Postgres schema (its outbox, inbox, dead letters and access audit too). */
export const BILLING_SCHEMA = 'billing';

/** A date column value (`@db.Date`) for a YYYY-MM-DD string: midnight UTC of that day. */
export const dateColumn = (isoDate: string) => new Date(`${isoDate}T00:00:00.000Z`);
/** The YYYY-MM-DD string of a date column value. */
export const isoDateOf = (value: Date) => value.toISOString().slice(0, 10);

/** The billing schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(BILLING_CONFIG) config: BillingConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }
}
