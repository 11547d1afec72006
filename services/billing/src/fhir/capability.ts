import type { FhirSettings } from './fhir.config';
import { DEFAULT_COUNT, MAX_COUNT } from './search';
import { EXTENSION_IDS, extensionUrl } from './structure-definitions';

/** SMART App Launch: the OAuth endpoints in CapabilityStatement.rest.security (v1 discovery). */
export const SMART_OAUTH_URIS = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';
const RESTFUL_SECURITY_SERVICE = 'http://terminology.hl7.org/CodeSystem/restful-security-service';

/** The SMART scopes that grant ChargeItem reads (v1 and v2 syntax), as the access matrix honours them. */
export const CHARGE_ITEM_SCOPES = ['system/ChargeItem.read', 'system/ChargeItem.rs', 'user/ChargeItem.read', 'user/ChargeItem.rs'];

/** rest.security: SMART-on-FHIR bearer tokens from the identity provider; no CORS (no browser apps). */
function security(settings: FhirSettings) {
  return {
    extension: [
      {
        url: SMART_OAUTH_URIS,
        extension: [
          { url: 'token', valueUri: settings.smart.token },
          { url: 'authorize', valueUri: settings.smart.authorize },
        ],
      },
    ],
    cors: false,
    service: [{ coding: [{ system: RESTFUL_SECURITY_SERVICE, code: 'SMART-on-FHIR', display: 'SMART-on-FHIR' }], text: 'OAuth2 bearer tokens (SMART on FHIR)' }],
    description:
      `Every read needs a bearer token of the identity provider (issuer ${settings.smart.issuer}) with a slidecharge role (service for a ` +
      `billing system; ops-viewer, billing-reviewer or billing-admin for staff) and a SMART scope granting ChargeItem reads ` +
      `(${CHARGE_ITEM_SCOPES.join(', ')}, or the resource *). Backend services use the client credentials grant at the token endpoint. ` +
      'The CapabilityStatement, the StructureDefinitions and .well-known/smart-configuration need no token. No CORS: browser apps go ' +
      'through their own server.',
  };
}

/**
 * GET /fhir/metadata: the R4 CapabilityStatement of the billing FHIR API, so that a FHIR client (or an
 * interface analyst) can see what is served, how the custom search parameters work and how to get a token.
 */
export function capabilityStatement(settings: FhirSettings) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-11-30',
    publisher: 'slidecharge',
    kind: 'instance',
    software: { name: 'slidecharge billing' },
    implementation: { description: 'Digitization add-on charges (0751T-0763T and successors) as R4 ChargeItems, read-only', url: settings.base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: 'Unknown search parameters are refused (400 OperationOutcome) unless the request says Prefer: handling=lenient.',
        security: security(settings),
        resource: [
        {
          type: 'ChargeItem',
          interaction: [{ code: 'read' }, { code: 'search-type' }],
          versioning: 'no-version',
          readHistory: false,
          searchParam: [
            {
              name: 'accession',
              type: 'token',
              documentation:
                'Custom. The LIS accession number (filler order number): ChargeItem.supportingInformation.identifier where ' +
                'system = urn:slidecharge:accession. A value or urn:slidecharge:accession|value; comma = OR.',
            },
            {
              name: 'patient',
              type: 'reference',
              definition: 'http://hl7.org/fhir/SearchParameter/ChargeItem-patient',
              documentation:
                'The subject is referenced by its MRN identifier (system urn:slidecharge:mrn): use patient:identifier=[system|]MRN. ' +
                'No Patient resources are served, so patient=MRN and patient=Patient/MRN are taken as the MRN too.',
            },
            {
              name: 'date',
              type: 'date',
              documentation:
                'Custom, same as occurrence: the date of service (ChargeItem.occurrenceDateTime, a day). Prefixes eq ne gt lt ge le sa eb; ' +
                'YYYY, YYYY-MM or YYYY-MM-DD; repeat for a range: date=ge2026-01-01&date=le2026-12-31.',
            },
            { name: 'occurrence', type: 'date', definition: 'http://hl7.org/fhir/SearchParameter/ChargeItem-occurrence', documentation: 'As date.' },
            {
              name: 'status',
              type: 'token',
              documentation:
                'Custom (R4 defines no status search on ChargeItem): ChargeItem.status, one of planned | billable | not-billable | ' +
                'aborted | billed | entered-in-error | unknown (system http://hl7.org/fhir/chargeitem-status); comma = OR.',
            },
            { name: '_count', type: 'number', documentation: `Page size, 0-${MAX_COUNT} (default ${DEFAULT_COUNT}; 0: the total only). Follow Bundle.link next.` },
          ],
        },
        {
          type: 'StructureDefinition',
          documentation:
            `The definitions of the extensions on ChargeItem, read by id: ${EXTENSION_IDS.join(', ')} ` +
            `(canonical URLs ${extensionUrl(settings.canonicalBase, 'charge-modifier').replace(/charge-modifier$/, '<id>')}).`,
          interaction: [{ code: 'read' }],
        },
      ],
    },
  ],
  };
}

/**
 * GET /fhir/.well-known/smart-configuration: SMART App Launch v2 discovery for backend services (the
 * client credentials grant); the same endpoints as the CapabilityStatement's oauth-uris extension.
 */
export function smartConfiguration(settings: FhirSettings) {
  return {
    issuer: settings.smart.issuer,
    authorization_endpoint: settings.smart.authorize,
    token_endpoint: settings.smart.token,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: CHARGE_ITEM_SCOPES,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    capabilities: ['client-confidential-symmetric', 'permission-v1', 'permission-v2'],
  };
}
