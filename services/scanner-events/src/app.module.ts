import { DynamicModule, Module } from '@nestjs/common';
import { serviceModule, ServiceAppModule, ServiceRuntime } from '@slidecharge/service-kit';
import { ApiClientRepository } from './auth/api-client.repository';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeysController } from './auth/api-keys.controller';
import { ApiKeysService } from './auth/api-keys.service';
import { CONFIG, LOGGER, PG_SCHEMA, SERVICE_NAME, ServiceConfig } from './config';
import { DicomBodyInterceptor } from './dicom/dicom-body.interceptor';
import { DicomController } from './dicom/dicom.controller';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyService } from './idempotency/idempotency.service';
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
      deadLetterSchema: PG_SCHEMA,
      controllers: [ScanEventsController, SlideScansController, DicomController, ApiKeysController],
      providers: [
        ReceiptRepository,
        ScanIngestService,
        ApiClientRepository,
        ApiKeysService,
        ApiKeyGuard,
        IdempotencyService,
        IdempotencyInterceptor,
        DicomBodyInterceptor,
        { provide: LOGGER, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.logger },
      ],
    });
  }
}
