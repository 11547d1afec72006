import { Module } from '@nestjs/common';
import { FhirController } from './fhir.controller';
import { FhirChargeItemService } from './fhir.service';
import { fhirSettingsProvider } from './fhir-settings.provider';

/** The FHIR R4 ChargeItem API for LIS and billing integrations. */
@Module({
  controllers: [FhirController],
  providers: [FhirChargeItemService, fhirSettingsProvider],
})
export class FhirModule {}
