import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule } from '@slidecharge/service-kit';
import { CasesController } from './cases/cases.controller';
import { ACCESSION_SCHEMA, CaseRepository } from './cases/case.repository';
import { CasesService } from './cases/cases.service';
import { ACCESSION_CONFIG, AccessionConfig } from './config';
import { PrismaService } from './prisma.service';

@Module({})
export class AppModule extends ServiceAppModule {
  static forRoot(config: AccessionConfig): DynamicModule {
    return serviceModule({
      module: AppModule,
      service: 'accession',
      config,
      configToken: ACCESSION_CONFIG,
      database: PrismaService,
      outboxSchema: ACCESSION_SCHEMA,
      controllers: [CasesController],
      providers: [CaseRepository, CasesService],
    });
  }
}
