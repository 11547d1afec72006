import type { Provider } from '@nestjs/common';
import { HTTP_SETTINGS, HttpSettings, publicUrl } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { fhirSettingsOf } from './fhir.config';

/** Nest token of the FHIR API's FhirSettings (its base, the canonical base, the SMART endpoints). */
export const FHIR_SETTINGS = Symbol('FHIR_SETTINGS');

/** The FHIR base is PUBLIC_BASE_URL + /fhir, never the request's Host. */
export const fhirSettingsProvider: Provider = {
  provide: FHIR_SETTINGS,
  useFactory: (config: BillingConfig, http: HttpSettings) => fhirSettingsOf(config, publicUrl(http, '/fhir')),
  inject: [BILLING_CONFIG, HTTP_SETTINGS],
};
