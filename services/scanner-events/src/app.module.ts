import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule, ServiceRuntime } from '@slidecharge/service-kit';
import { CONFIG, LOGGER, PG_SCHEMA, SERVICE_NAME, ServiceConfig } from './config';
import { PrismaService } from './prisma.service';
import { ReceiptRepository } from './scan-events/receipt.repository';
import { ScanEventsController, SlideScansController } from './scan-events/scan-events.controller';
import { ScanIngestService } from './scan-events/scan-ingest.service';

@Module({})
export class AppModule extends ServiceAppModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return serviceModule({
      module: AppModule,
      service: SERVICE_NAME,
      config,
      configToken: CONFIG,
      database: PrismaService,
      outboxSchema: PG_SCHEMA,
      controllers: [ScanEventsController, SlideScansController],
      providers: [ReceiptRepository, ScanIngestService, { provide: LOGGER, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.logger }],
    });
  }
}
