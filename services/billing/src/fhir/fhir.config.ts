import { z } from 'zod';

/** Unset, or set to an empty string: both mean "not configured". */
const optionalUrl = (example: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim().replace(/\/+$/, '')))
    .pipe(
      z
        .url({ protocol: /^https?$/, error: `must be an http:// or https:// URL, e.g. ${example}` })
        .refine((u) => !/[?#]/.test(u), 'must have no query or fragment')
        .optional(),
    );

/**
 * The FHIR variables of billing (merged into billingConfigSchema in ../config.ts). Documented in
 * docs/integration-guide.md ("FHIR R4 ChargeItem").
 */
export const fhirConfigShape = {
  /**
   * Base of the canonical URLs of slidecharge's extensions (<base>/StructureDefinition/charge-modifier...).
   * Default: billing's public FHIR base (PUBLIC_BASE_URL + /fhir), where they are served. A lab with
   * several environments sets one stable https URL here and never changes it: consumers match extensions
   * by this URL.
   */
  FHIR_CANONICAL_BASE: optionalUrl('https://fhir.lab.example/slidecharge'),
  /** SMART authorize endpoint declared in the CapabilityStatement; default OIDC_ISSUER + /protocol/openid-connect/auth (Keycloak). */
  FHIR_SMART_AUTHORIZE_URL: optionalUrl('https://sso.hospital.org/realms/lab/protocol/openid-connect/auth'),
  /** SMART token endpoint; default OIDC_ISSUER + /protocol/openid-connect/token (Keycloak). */
  FHIR_SMART_TOKEN_URL: optionalUrl('https://sso.hospital.org/realms/lab/protocol/openid-connect/token'),
};

export interface FhirConfig {
  OIDC_ISSUER: string;
  FHIR_CANONICAL_BASE?: string | undefined;
  FHIR_SMART_AUTHORIZE_URL?: string | undefined;
  FHIR_SMART_TOKEN_URL?: string | undefined;
}

/** What the FHIR API writes about itself: its base, the canonical base and the OAuth endpoints. */
export interface FhirSettings {
  /** The FHIR base clients reach (PUBLIC_BASE_URL + /fhir), no trailing slash. */
  base: string;
  /** Base of the extension canonical URLs, no trailing slash. */
  canonicalBase: string;
  smart: { issuer: string; authorize: string; token: string };
}

export function fhirSettingsOf(config: FhirConfig, publicFhirBase: string): FhirSettings {
  const issuer = config.OIDC_ISSUER.replace(/\/+$/, '');
  return {
    base: publicFhirBase,
    canonicalBase: config.FHIR_CANONICAL_BASE ?? publicFhirBase,
    smart: {
      issuer,
      authorize: config.FHIR_SMART_AUTHORIZE_URL ?? `${issuer}/protocol/openid-connect/auth`,
      token: config.FHIR_SMART_TOKEN_URL ?? `${issuer}/protocol/openid-connect/token`,
    },
  };
}
