import { Inject, Injectable } from '@nestjs/common';
import { createPgAdapter } from '@slidecharge/service-kit';
import { CONFIG, ServiceConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/**
 * The Prisma client for schema "scanner", on the pg driver adapter (no engine binary). ServiceRuntime
 * disconnects it last at shutdown, after consumers and the outbox relay have stopped.
 */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(CONFIG) config: ServiceConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }
}
