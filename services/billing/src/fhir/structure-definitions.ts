/**
 * The extensions slidecharge puts on its R4 ChargeItems, each with a canonical http(s) URL under the
 * configured canonical base (FHIR_CANONICAL_BASE, default the public FHIR base of billing) and an R4
 * StructureDefinition served at GET /fhir/StructureDefinition/{id}, so that a strict server can check
 * them and a generic client can read what they mean. Pure data: no I/O.
 *
 * Why extensions: R4 ChargeItem has no element for procedure modifiers (Claim.item.modifier has them;
 * R5 ChargeItem has none either, so there is no R5 cross-version extension to reuse), none that says
 * "this charge replaces that one" (partOf means "part of", a 0753T is part of its 88305), and none
 * for the credit that reversed a charge. Choices are documented in docs/integration-guide.md ("FHIR").
 */

/** The ids of the extension StructureDefinitions (the last segment of their canonical URL). */
export const EXTENSION_IDS = ['charge-modifier', 'charge-replaces', 'charge-credit'] as const;
export type ExtensionId = (typeof EXTENSION_IDS)[number];

/** Date of the definitions (StructureDefinition.date): changes only when a definition changes. */
const DEFINITIONS_DATE = '2026-11-30';
const DEFINITIONS_VERSION = '1.0.0';
const CHARGE_ITEM = 'http://hl7.org/fhir/StructureDefinition/ChargeItem';

/** The canonical URL of an extension under a canonical base (no trailing slash). */
export const extensionUrl = (canonicalBase: string, id: ExtensionId): string => `${canonicalBase}/StructureDefinition/${id}`;

/** The canonical URLs of the extensions under one base. */
export interface ExtensionUrls {
  modifier: string;
  replaces: string;
  credit: string;
}

export function extensionUrls(canonicalBase: string): ExtensionUrls {
  return {
    modifier: extensionUrl(canonicalBase, 'charge-modifier'),
    replaces: extensionUrl(canonicalBase, 'charge-replaces'),
    credit: extensionUrl(canonicalBase, 'charge-credit'),
  };
}

export interface ElementDefinition {
  id: string;
  path: string;
  sliceName?: string;
  short?: string;
  definition?: string;
  comment?: string;
  min?: number;
  max?: string;
  slicing?: { discriminator: { type: 'value'; path: string }[]; ordered: boolean; rules: 'closed' | 'open' };
  type?: { code: string; targetProfile?: string[] }[];
  fixedUri?: string;
}

export interface StructureDefinition {
  resourceType: 'StructureDefinition';
  id: string;
  url: string;
  version: string;
  name: string;
  title: string;
  status: 'active';
  experimental: false;
  date: string;
  publisher: string;
  description: string;
  purpose: string;
  fhirVersion: '4.0.1';
  kind: 'complex-type';
  abstract: false;
  context: { type: 'element'; expression: string }[];
  type: 'Extension';
  baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension';
  derivation: 'constraint';
  differential: { element: ElementDefinition[] };
}

interface ExtensionText {
  id: ExtensionId;
  name: string;
  title: string;
  description: string;
  purpose: string;
  max: '1' | '*';
}

function extensionDefinition(canonicalBase: string, text: ExtensionText, elements: ElementDefinition[]): StructureDefinition {
  const url = extensionUrl(canonicalBase, text.id);
  return {
    resourceType: 'StructureDefinition',
    id: text.id,
    url,
    version: DEFINITIONS_VERSION,
    name: text.name,
    title: text.title,
    status: 'active',
    experimental: false,
    date: DEFINITIONS_DATE,
    publisher: 'slidecharge',
    description: text.description,
    purpose: text.purpose,
    fhirVersion: '4.0.1',
    kind: 'complex-type',
    abstract: false,
    context: [{ type: 'element', expression: 'ChargeItem' }],
    type: 'Extension',
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Extension',
    derivation: 'constraint',
    differential: {
      element: [
        { id: 'Extension', path: 'Extension', short: text.title, definition: text.description, min: 0, max: text.max },
        ...elements,
        { id: 'Extension.url', path: 'Extension.url', fixedUri: url },
      ],
    },
  };
}

/** A simple extension: no nested extensions, value[x] of one type, required. */
function simpleValue(type: ElementDefinition['type'], extra: ElementDefinition[] = []): ElementDefinition[] {
  return [
    { id: 'Extension.extension', path: 'Extension.extension', max: '0' },
    { id: 'Extension.value[x]', path: 'Extension.value[x]', min: 1, type },
    ...extra,
  ];
}

/** One part of a complex extension: Extension.extension:<name> with value[x] of one type. */
function part(name: string, min: 0 | 1, type: ElementDefinition['type'], short: string, max: '1' | '*' = '1'): ElementDefinition[] {
  const id = `Extension.extension:${name}`;
  return [
    { id, path: 'Extension.extension', sliceName: name, short, min, max },
    { id: `${id}.extension`, path: 'Extension.extension.extension', max: '0' },
    { id: `${id}.url`, path: 'Extension.extension.url', fixedUri: name },
    { id: `${id}.value[x]`, path: 'Extension.extension.value[x]', min: 1, type },
  ];
}

const chargeItemReference = [{ code: 'Reference', targetProfile: [CHARGE_ITEM] }];

function modifierDefinition(canonicalBase: string): StructureDefinition {
  return extensionDefinition(
    canonicalBase,
    {
      id: 'charge-modifier',
      name: 'ChargeModifier',
      title: 'Procedure code modifier of the charge',
      description:
        'One CPT modifier (two digits, system http://www.ama-assn.org/go/cpt) or HCPCS Level II modifier (e.g. TC, GY, GA, Q1; system ' +
        'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets) of ChargeItem.code, as Claim.item.modifier carries it. Repeated in claim order.',
      purpose: 'R4 ChargeItem (and R5) has no modifier element; a billing system needs the modifiers to build the claim line.',
      max: '*',
    },
    simpleValue([{ code: 'Coding' }], [
      { id: 'Extension.value[x].system', path: 'Extension.value[x].system', min: 1 },
      { id: 'Extension.value[x].code', path: 'Extension.value[x].code', min: 1 },
    ]),
  );
}

function replacesDefinition(canonicalBase: string): StructureDefinition {
  return extensionDefinition(
    canonicalBase,
    {
      id: 'charge-replaces',
      name: 'ChargeReplaces',
      title: 'The credited charge this re-charge replaces',
      description:
        'On a re-charge (a new generation of the same accession/specimen/code charge, made after the earlier one was credited): a reference ' +
        'to the ChargeItem it replaces (ChargeItem/<chargeId>, with the charge-id identifier).',
      purpose: 'R4 ChargeItem has no replaces element, and partOf means "part of", not "replaces".',
      max: '1',
    },
    simpleValue(chargeItemReference),
  );
}

function creditDefinition(canonicalBase: string): StructureDefinition {
  return extensionDefinition(
    canonicalBase,
    {
      id: 'charge-credit',
      name: 'ChargeCredit',
      title: 'The credit that reversed this charge',
      description:
        'On a credited charge: the credit transaction sent to the billing system (HL7 FT1-6 = CD), when it was made, why (a slidecharge ' +
        'credit reason code such as case-cancelled, primary-code-changed, units-changed, payer-changed, slide-reassigned) and, when ' +
        're-charges were made, the ChargeItems that replace this one.',
      purpose: 'A credited charge was real and may have been billed: it is reported as aborted with its credit, never as entered-in-error.',
      max: '1',
    },
    [
      {
        id: 'Extension.extension',
        path: 'Extension.extension',
        min: 3,
        slicing: { discriminator: [{ type: 'value', path: 'url' }], ordered: false, rules: 'closed' },
      },
      ...part('credit', 1, [{ code: 'Identifier' }], 'The credit id (system urn:slidecharge:credit-id)'),
      ...part('date', 1, [{ code: 'dateTime' }], 'When the credit was made'),
      ...part('reason', 1, [{ code: 'code' }], 'Why: a slidecharge credit reason code'),
      ...part('replacedBy', 0, chargeItemReference, 'The re-charges that replace this charge, if any were made', '*'),
      { id: 'Extension.value[x]', path: 'Extension.value[x]', max: '0' },
    ],
  );
}

/** Every extension StructureDefinition under a canonical base, by id. */
export function structureDefinitions(canonicalBase: string): Record<ExtensionId, StructureDefinition> {
  return {
    'charge-modifier': modifierDefinition(canonicalBase),
    'charge-replaces': replacesDefinition(canonicalBase),
    'charge-credit': creditDefinition(canonicalBase),
  };
}

export const isExtensionId = (id: string): id is ExtensionId => (EXTENSION_IDS as readonly string[]).includes(id);
