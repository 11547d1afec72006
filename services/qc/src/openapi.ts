import { NestFactory } from '@nestjs/core';
import { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument, ServiceDescription } from '@slidecharge/service-kit';
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
export async function createOpenApiDocument(config: QcConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(config), { logger: false });
  try {
    return buildOpenApiDocument(app, QC_SERVICE);
  } finally {
    await app.close();
  }
}
