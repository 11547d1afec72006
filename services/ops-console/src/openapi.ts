import { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentOf, ServiceDescription } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { OpsConsoleConfig } from './config';

export const OPS_CONSOLE_SERVICE: ServiceDescription = {
  name: 'ops-console',
  title: 'slidecharge ops console',
  description:
    "The ops console's server (a backend for its web front end): a read model of lis.case-events.v1, scan.events.v1, qc.results.v1 and " +
    "billing.charges.v1, the console's numbers (GET /api/overview, live over server-sent events), case timelines, and the console's actions " +
    "forwarded to the owning services under the signed-in user's own token. The web front end is served at /.",
  version: '0.1.0',
};

/** Builds the service's OpenAPI document without listening or starting consumers. */
export function createOpenApiDocument(config: OpsConsoleConfig): Promise<OpenAPIObject> {
  return openApiDocumentOf(AppModule.forRoot(config), OPS_CONSOLE_SERVICE);
}
