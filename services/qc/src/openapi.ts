import { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentOf, ServiceDescription } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { QcConfig } from './config';

export const QC_SERVICE: ServiceDescription = {
  name: 'qc',
  title: 'slidecharge qc',
  description:
    'Image-quality verdicts for completed whole-slide scans: consumes scan.events.v1, judges each scan.completed with the ' +
    'QC rule set in force and publishes qc.passed / qc.failed on qc.results.v1. The HTTP API serves lab operations ' +
    '(rule set, verdicts, rescan work list).',
  version: '0.1.0',
};

/** Builds the service's OpenAPI document without listening or starting consumers. */
export function createOpenApiDocument(config: QcConfig): Promise<OpenAPIObject> {
  return openApiDocumentOf(AppModule.forRoot(config), QC_SERVICE);
}
