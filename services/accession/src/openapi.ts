import { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentOf, ServiceDescription } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { AccessionConfig } from './config';

export const ACCESSION_SERVICE: ServiceDescription = {
  name: 'accession',
  title: 'slidecharge accession',
  description:
    'Cases from the LIS (accession number, specimens with their primary CPT codes, slide barcodes, payer, diagnoses, ' +
    'collection date). Every change is published as the full case on lis.case-events.v1 (case.created / case.updated / ' +
    'case.cancelled, key = accessionNumber, latest version wins). A slide barcode belongs to at most one active case.',
  version: '0.1.0',
};

/** Builds the service's OpenAPI document without listening, connecting to Kafka or starting the outbox relay. */
export function createOpenApiDocument(config: AccessionConfig): Promise<OpenAPIObject> {
  return openApiDocumentOf(AppModule.forRoot(config), ACCESSION_SERVICE);
}
