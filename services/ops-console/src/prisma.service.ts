import { Inject, Injectable } from '@nestjs/common';
import { createPgAdapter } from '@slidecharge/service-kit';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/** The ops_console schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(OPS_CONSOLE_CONFIG) config: OpsConsoleConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }
}
