import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule } from '@slidecharge/service-kit';
import { CasesController } from './cases/cases.controller';
import { ACCESSION_SCHEMA, CaseRepository } from './cases/case.repository';
import { CasesService } from './cases/cases.service';
import { ACCESSION_CONFIG, AccessionConfig } from './config';
import { Hl7IntakeService } from './hl7/hl7-intake.service';
import { Hl7MessageRepository } from './hl7/hl7-message.repository';
import { Hl7MessagesController } from './hl7/hl7-messages.controller';
import { Hl7RetentionService } from './hl7/hl7-retention.service';
import { MllpListener } from './hl7/mllp-listener';
import { SenderAllowListService } from './hl7/sender-allow-list.service';
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
      accessAuditSchema: ACCESSION_SCHEMA,
      readiness: { inject: [MllpListener], checks: (mllp: MllpListener) => [mllp.readinessCheck()] },
      controllers: [CasesController, Hl7MessagesController],
      providers: [
        CaseRepository,
        CasesService,
        Hl7MessageRepository,
        SenderAllowListService,
        Hl7IntakeService,
        MllpListener,
        Hl7RetentionService,
      ],
    });
  }
}
