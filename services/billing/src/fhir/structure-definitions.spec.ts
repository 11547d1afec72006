import { extensionProblems, fhirProblemLines } from '@slidecharge/testing';
import { capabilityStatement, smartConfiguration } from './capability';
import { ChargeItemSource, toChargeItem } from './charge-item';
import { fhirSettingsOf } from './fhir.config';
import { EXTENSION_IDS, extensionUrls, structureDefinitions } from './structure-definitions';

const BASE = 'https://fhir.lab.example/slidecharge';
const definitions = structureDefinitions(BASE);

const source: ChargeItemSource = {
  chargeId: '5b0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f',
  chargeKey: 'S26-000123/A/0753T',
  generation: 2,
  status: 'credited',
  accessionNumber: 'S26-000123',
  specimenId: 'A',
  code: '0753T',
  primaryCode: '88305',
  units: 1,
  dateOfService: '2026-11-20',
  patientId: 'MRN-0042',
  diagnoses: ['C50.911'],
  modifiers: ['TC', 'GY'],
  refusedModifiers: [],
  scanIds: [],
  holdReasons: [],
  credit: { creditId: '7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f', reason: 'units changed', detail: 'units 1 -> 2', creditedAt: '2026-11-28T09:00:00.000Z' },
  replacesChargeId: '11111111-2222-5333-8444-555555555555',
  replacedByChargeIds: ['22222222-2222-5333-8444-555555555555'],
  decidedAt: '2026-11-27T10:14:04.002Z',
  statusChangedAt: '2026-11-28T09:00:00.000Z',
};

describe('the extension StructureDefinitions', () => {
  it.each(EXTENSION_IDS)('%s: a valid R4 StructureDefinition of an Extension on ChargeItem, its url the canonical URL', (id) => {
    const definition = definitions[id];
    expect(fhirProblemLines(definition)).toEqual([]);
    expect(definition).toMatchObject({
      resourceType: 'StructureDefinition',
      id,
      url: `${BASE}/StructureDefinition/${id}`,
      fhirVersion: '4.0.1',
      kind: 'complex-type',
      abstract: false,
      type: 'Extension',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
      derivation: 'constraint',
      context: [{ type: 'element', expression: 'ChargeItem' }],
    });
    expect(definition.differential.element.find((e) => e.id === 'Extension.url')?.fixedUri).toBe(definition.url);
  });

  it('restricts value[x]: a Coding with system and code for modifiers, a Reference(ChargeItem) for replaces, none (parts) for a credit', () => {
    const valueOf = (id: keyof typeof definitions) => definitions[id].differential.element.find((e) => e.id === 'Extension.value[x]');
    expect(valueOf('charge-modifier')).toMatchObject({ min: 1, type: [{ code: 'Coding' }] });
    expect(valueOf('charge-replaces')).toMatchObject({ min: 1, type: [{ code: 'Reference', targetProfile: ['http://hl7.org/fhir/StructureDefinition/ChargeItem'] }] });
    expect(valueOf('charge-credit')).toMatchObject({ max: '0' });
  });

  it('every extension toChargeItem writes follows its served definition, and the ChargeItem is valid R4', () => {
    const item = toChargeItem(source, extensionUrls(BASE));
    expect(item.extension?.map((e) => e.url.replace(`${BASE}/StructureDefinition/`, ''))).toEqual(['charge-modifier', 'charge-modifier', 'charge-replaces', 'charge-credit']);
    expect(extensionProblems(item, Object.values(definitions))).toEqual([]);
    expect(fhirProblemLines(item)).toEqual([]);
    expect(item.extension?.[3]?.extension?.[2]).toEqual({ url: 'reason', valueCode: 'units-changed' });
    // A private urn: extension (what slidecharge sent before) has no definition: a strict server refuses it.
    expect(extensionProblems({ extension: [{ url: 'urn:slidecharge:extension:procedure-modifier', valueCoding: { code: 'TC' } }] }, Object.values(definitions))).toHaveLength(1);
  });
});

describe('the CapabilityStatement', () => {
  const settings = fhirSettingsOf({ OIDC_ISSUER: 'https://sso.hospital.org/realms/lab/', FHIR_CANONICAL_BASE: BASE }, 'https://billing.lab.example/fhir');

  it('is valid R4 and declares SMART-on-FHIR security with the OAuth endpoints of the issuer, and the StructureDefinition reads', () => {
    const statement = capabilityStatement(settings);
    expect(fhirProblemLines(statement)).toEqual([]);
    const rest = statement.rest[0];
    expect(rest?.security).toMatchObject({
      cors: false,
      service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
      extension: [
        {
          url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
          extension: [
            { url: 'token', valueUri: 'https://sso.hospital.org/realms/lab/protocol/openid-connect/token' },
            { url: 'authorize', valueUri: 'https://sso.hospital.org/realms/lab/protocol/openid-connect/auth' },
          ],
        },
      ],
    });
    expect(rest?.resource.map((r) => [r.type, r.interaction])).toEqual([
      ['ChargeItem', [{ code: 'read' }, { code: 'search-type' }]],
      ['StructureDefinition', [{ code: 'read' }]],
    ]);
    expect(statement.implementation.url).toBe('https://billing.lab.example/fhir');
  });

  it('takes configured SMART endpoints, and the SMART configuration names the same ones', () => {
    const configured = fhirSettingsOf(
      { OIDC_ISSUER: 'https://idp.example', FHIR_SMART_TOKEN_URL: 'https://idp.example/oauth2/token', FHIR_SMART_AUTHORIZE_URL: 'https://idp.example/oauth2/authorize' },
      'http://127.0.0.1:3004/fhir',
    );
    expect(configured.canonicalBase).toBe('http://127.0.0.1:3004/fhir');
    expect(smartConfiguration(configured)).toMatchObject({
      token_endpoint: 'https://idp.example/oauth2/token',
      authorization_endpoint: 'https://idp.example/oauth2/authorize',
      grant_types_supported: ['client_credentials'],
      capabilities: expect.arrayContaining(['permission-v1', 'permission-v2']),
    });
  });
});
