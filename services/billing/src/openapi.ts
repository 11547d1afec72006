import { OpenAPIObject } from '@nestjs/swagger';
import { openApiDocumentOf, ServiceDescription } from '@slidecharge/service-kit';
import { AppModule } from './app.module';
import { BillingConfig } from './config';

export const BILLING_SERVICE: ServiceDescription = {
  name: 'billing',
  title: 'slidecharge billing',
  description:
    'Digitization charge capture: consumes cases (lis.case-events.v1), scans (scan.events.v1) and QC verdicts ' +
    '(qc.results.v1), decides with the billing rules which specimens earn a digitization add-on code (0753T for 88305, ' +
    '0754T for 88307...) and posts each charge exactly once on billing.charges.v1 (stable chargeId). The HTTP API serves ' +
    'billing staff: charges with their audit trail, a case\'s billing picture with the reason a specimen is not charged, ' +
    'and the work list of scans that match no known case.',
  version: '0.1.0',
};

/** Builds the service's OpenAPI document without listening or starting consumers. */
export function createOpenApiDocument(config: BillingConfig): Promise<OpenAPIObject> {
  return openApiDocumentOf(AppModule.forRoot(config), BILLING_SERVICE);
}
