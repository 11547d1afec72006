import type { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentOf, ServiceDescription } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { SERVICE_NAME, ServiceConfig } from './config';

export const SERVICE_DESCRIPTION: ServiceDescription = {
  name: SERVICE_NAME,
  title: 'slidecharge scanner-events',
  description:
    'Receives scanner-middleware events (POST /scan-events, POST /scan-events/batch, or the scanner.ingress.v1 topic), ' +
    'de-duplicates them by the middleware eventId and publishes normalized scan.started / scan.completed / scan.failed ' +
    'events on scan.events.v1 through a transactional outbox. POST /dicom/instances takes a stored whole-slide image ' +
    '(DICOM Part 10 header or DICOM JSON) from an image manager and makes the scan.completed event from it. ' +
    'Every endpoint except health, metrics and the API documents needs an API key (X-API-Key or Authorization: Bearer) ' +
    'with the scope it names; POSTs take an optional Idempotency-Key.',
  version: '0.1.0',
};

/**
 * Builds the OpenAPI document of scanner-events without starting it: no listening, no consumers, no
 * connection to Postgres or Kafka.
 */
export function createOpenApiDocument(config: ServiceConfig): Promise<OpenAPIObject> {
  return openApiDocumentOf(AppModule.forRoot({ ...config, LOG_LEVEL: 'error' }), SERVICE_DESCRIPTION);
}
