import { Inject, Injectable } from '@nestjs/common';
import { createPgAdapter } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from './config';
import { PrismaClient } from './generated/prisma/client';

/** The accession schema's Prisma client on the pg driver adapter. ServiceRuntime disconnects it at shutdown. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(@Inject(ACCESSION_CONFIG) config: AccessionConfig) {
    super({ adapter: createPgAdapter(config.DATABASE_URL) });
  }

}
