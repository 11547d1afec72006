import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule } from '@slidecharge/service-kit';
import { QC_CONFIG, QcConfig } from './config';
import { PrismaService } from './prisma.service';
import { QcController } from './qc/qc.controller';
import { RescansController } from './qc/rescans.controller';
import { RescansRepository } from './qc/rescans.repository';
import { RescansService } from './qc/rescans.service';
import { QcRepository } from './qc/qc.repository';
import { QC_SCHEMA, QcService } from './qc/qc.service';

@Module({})
export class AppModule extends ServiceAppModule {
  static forRoot(config: QcConfig): DynamicModule {
    return serviceModule({
      module: AppModule,
      service: 'qc',
      config,
      configToken: QC_CONFIG,
      database: PrismaService,
      outboxSchema: QC_SCHEMA,
      deadLetterSchema: QC_SCHEMA,
      controllers: [QcController, RescansController],
      providers: [QcRepository, QcService, RescansRepository, RescansService],
    });
  }
}
