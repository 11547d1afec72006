import { DynamicModule, Module } from '@nestjs/common';
import { API_KEY_AUTHENTICATOR, serviceModule, ServiceAppModule, ServiceRuntime } from '@slidecharge/service-kit';
import { ApiClientRepository } from './auth/api-client.repository';
import { ApiKeyAuthentication } from './auth/api-key.authenticator';
import { ApiKeysController } from './auth/api-keys.controller';
import { ApiKeysService } from './auth/api-keys.service';
import { CONFIG, LOGGER, PG_SCHEMA, SERVICE_NAME, ServiceConfig } from './config';
import { DICOM_JSON_MEDIA_TYPE, DicomBodyInterceptor, PART10_MEDIA_TYPE } from './dicom/dicom-body.interceptor';
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
      apiKeys: true,
      deadLetterSchema: PG_SCHEMA,
      controllers: [ScanEventsController, SlideScansController, DicomController, ApiKeysController],
      // POST /dicom/instances reads these bodies itself (DicomBodyInterceptor), after the API key.
      streamedMediaTypes: [PART10_MEDIA_TYPE, DICOM_JSON_MEDIA_TYPE],
      providers: [
        ReceiptRepository,
        ScanIngestService,
        ApiClientRepository,
        ApiKeysService,
        ApiKeyAuthentication,
        { provide: API_KEY_AUTHENTICATOR, useExisting: ApiKeyAuthentication },
        IdempotencyService,
        IdempotencyInterceptor,
        DicomBodyInterceptor,
        { provide: LOGGER, inject: [ServiceRuntime], useFactory: (runtime: ServiceRuntime) => runtime.logger },
      ],
    });
  }
}
