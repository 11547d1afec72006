import { Inject, Injectable } from '@nestjs/common';
import { createPgAdapter } from '@slidecharge/service-kit';
import { QC_CONFIG, QcConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/** The qc schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(QC_CONFIG) config: QcConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }

}
