import type { Charge as ChargeRow, Credit as CreditRow } from '../generated/prisma/client';
import type { Annotation, ChargeItem, ChargeItemStatus, CodeableConcept, Extension, Reference } from './r4';
import type { ExtensionUrls } from './structure-definitions';
import type { StoredChargeStatus } from '../charge/charge-status';
import type { EngineCharge } from '@slidecharge/billing-rules';
import type { Charge } from '@slidecharge/contracts';
import { chargeFromRow } from '../charge/charge-row';

/**
 * A stored charge as a FHIR R4 ChargeItem: pure mapping, no I/O. The charge row carries the case facts
 * as they were charged (patient, diagnoses by pointer, date of service, performer), which is what a
 * ChargeItem must say even after the case changed: a charge is never edited, so the current case is not
 * read. Choices are explained in services/billing/README.md ("FHIR") and docs/integration-guide.md
 * (status mapping, extensions).
 */

/** Code systems and identifier systems of the ChargeItem. */
export const FHIR_SYSTEMS = {
  cpt: 'http://www.ama-assn.org/go/cpt',
  /** HCPCS Level II (alphanumeric modifiers such as TC, GA, Q1). */
  hcpcs: 'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  nucc: 'http://nucc.org/provider-taxonomy',
  identifierType: 'http://terminology.hl7.org/CodeSystem/v2-0203',
  chargeItemStatus: 'http://hl7.org/fhir/chargeitem-status',
  chargeId: 'urn:slidecharge:charge-id',
  chargeKey: 'urn:slidecharge:charge-key',
  creditId: 'urn:slidecharge:credit-id',
  /** The primary procedure's charge: accession/specimen/primary code, the same shape as a chargeKey. */
  primaryProcedure: 'urn:slidecharge:primary-procedure',
  /** The patient id the LIS sent (the MRN). */
  mrn: 'urn:slidecharge:mrn',
  accession: 'urn:slidecharge:accession',
  specimen: 'urn:slidecharge:specimen',
  scan: 'urn:slidecharge:scan-id',
} as const;

/**
 * Charge state -> R4 ChargeItemStatus (planned | billable | not-billable | aborted | billed |
 * entered-in-error | unknown), by the R4 definitions of the codes:
 * - held -> planned ("entered, but ... shall not be billed yet"): waits for a reviewer;
 * - posted -> billable ("ready for billing"): sent to the billing system as DFT^P03;
 * - do-not-send -> not-billable ("determined to be not billable ... due to rules");
 * - voided -> aborted ("the processing of the charge was aborted"): a reviewer stopped a held charge;
 * - credited -> aborted as well, with the charge-credit extension naming the credit: the charge was
 *   real and may have been billed, then reversed by a credit (FT1-6 = CD). Never entered-in-error,
 *   which says the charge should never have existed, so consumers would hide a charge that was billed.
 * Never `billed` (slidecharge does not know when the billing system puts a charge on a claim), never
 * `entered-in-error` (a charge is never withdrawn as a mistake: it is credited), never `unknown`.
 */
export const FHIR_STATUS_OF: Readonly<Record<StoredChargeStatus, ChargeItemStatus>> = Object.freeze({
  held: 'planned',
  posted: 'billable',
  'do-not-send': 'not-billable',
  voided: 'aborted',
  credited: 'aborted',
});

/** The charge states a ChargeItem status search matches (none for billed and unknown). */
export function storedStatusesOf(status: ChargeItemStatus): StoredChargeStatus[] {
  return (Object.keys(FHIR_STATUS_OF) as StoredChargeStatus[]).filter((s) => FHIR_STATUS_OF[s] === status);
}

/** Plain-language names of the primary codes (not the AMA descriptors), for Coding.display. */
const PRIMARY_PROCEDURE_NAMES: Readonly<Record<string, string>> = Object.freeze({
  '88302': 'Level II surgical pathology, gross and microscopic examination',
  '88304': 'Level III surgical pathology, gross and microscopic examination',
  '88305': 'Level IV surgical pathology, gross and microscopic examination',
  '88307': 'Level V surgical pathology, gross and microscopic examination',
  '88309': 'Level VI surgical pathology, gross and microscopic examination',
  '88312': 'Special stain, group I',
  '88313': 'Special stain, group II',
  '88314': 'Histochemical stain on frozen tissue',
  '88319': 'Stain for enzyme constituents',
  '88341': 'Immunohistochemistry, each additional single antibody',
  '88342': 'Immunohistochemistry, first single antibody',
  '88344': 'Immunohistochemistry, each multiplex antibody stain',
  '88360': 'Morphometric analysis of tumor immunohistochemistry, manual',
});

export const primaryProcedureName = (code: string): string | undefined => PRIMARY_PROCEDURE_NAMES[code];

/** Display of a digitization add-on code: what it is and the primary it is reported with. */
export function addOnDisplay(code: string, primaryCode: string): string {
  const primary = primaryProcedureName(primaryCode);
  return `Digitization of glass microscope slides (add-on ${code} to CPT ${primaryCode}${primary ? `, ${primary}` : ''})`;
}

/** The contract's Charge fields a ChargeItem shows (the charge as the topic and the DFT^P03 carry it). */
const CHARGE_ITEM_FIELDS = [
  'chargeId',
  'chargeKey',
  'accessionNumber',
  'specimenId',
  'code',
  'primaryCode',
  'units',
  'dateOfService',
  'patientId',
  'diagnoses',
  'modifiers',
  'scanIds',
  'release',
  'replacesChargeId',
] as const satisfies readonly (keyof Charge)[];

/**
 * Everything the ChargeItem says: the charge (the contract's Charge fields, `diagnoses` in
 * diagnosis-pointer order, `dateOfService` YYYY-MM-DD), and what billing keeps besides it, read from
 * billing.charge, billing.credit and the void's audit line.
 */
export type ChargeItemSource = Pick<Charge, (typeof CHARGE_ITEM_FIELDS)[number]> & {
  generation: number;
  status: StoredChargeStatus;
  refusedModifiers: EngineCharge['refusedModifiers'];
  /** Absent for charges decided before the performer was recorded (the topic says `unrecorded` for them). */
  performer?: { taxonomy: string; description?: string };
  holdReasons: { rule: string; detail: string }[];
  credit?: { creditId: string; reason: string; detail: string; creditedAt: string };
  void?: { by: string; reason: string; at: string };
  /** The re-charges made after this charge was credited (charges whose replacesChargeId is this one), oldest first. */
  replacedByChargeIds?: string[];
  /** When the rules decided the charge (ISO instant). */
  decidedAt: string;
  statusChangedAt: string;
};

type SourceRow = Omit<ChargeRow, 'trace'> & { credit?: CreditRow | null };

/**
 * The ChargeItem facts of a Charge and of its stored row (and of the audit line that voided it, for a
 * voided one). `charge` is the row read as a Charge (chargeFromRow): the same charge the topic and the
 * DFT^P03 carry.
 */
export function chargeItemSourceOf(
  charge: Charge,
  row: SourceRow,
  voided?: { actor: string; reason: string; at: Date },
  replacedByChargeIds: string[] = [],
): ChargeItemSource {
  const fields = Object.fromEntries(CHARGE_ITEM_FIELDS.flatMap((f) => (charge[f] === undefined ? [] : [[f, charge[f]]])));
  return {
    ...(fields as Pick<Charge, (typeof CHARGE_ITEM_FIELDS)[number]>),
    generation: row.generation,
    status: row.status as StoredChargeStatus,
    refusedModifiers: (row.refusedModifiers ?? []) as ChargeItemSource['refusedModifiers'],
    // Only a recorded performer: the Charge's default for an unrecorded one is not a fact of the charge.
    ...(row.performerTaxonomy
      ? { performer: { taxonomy: charge.performer.taxonomy, ...(row.performerName ? { description: charge.performer.description } : {}) } }
      : {}),
    holdReasons: (row.holdReasons ?? []) as ChargeItemSource['holdReasons'],
    ...(row.credit
      ? {
          credit: {
            creditId: row.credit.creditId,
            reason: row.credit.reason,
            detail: row.credit.detail,
            creditedAt: row.credit.createdAt.toISOString(),
          },
        }
      : {}),
    ...(voided && row.status === 'voided' ? { void: { by: voided.actor, reason: voided.reason, at: voided.at.toISOString() } } : {}),
    ...(replacedByChargeIds.length > 0 ? { replacedByChargeIds } : {}),
    decidedAt: row.createdAt.toISOString(),
    statusChangedAt: row.statusChangedAt.toISOString(),
  };
}

/** The ChargeItem facts of a stored charge: its row read as the contract's Charge, and the row's bookkeeping. */
export function chargeItemSourceFromRow(row: SourceRow, voided?: { actor: string; reason: string; at: Date }, replacedByChargeIds: string[] = []): ChargeItemSource {
  return chargeItemSourceOf(chargeFromRow(row), row, voided, replacedByChargeIds);
}

/** A CPT modifier is two digits (26, 52, 59, 91); TC, GA, GY, GZ, Q1, SU, X{EPSU}... are HCPCS Level II. */
export const modifierSystem = (modifier: string) => (/^\d{2}$/.test(modifier) ? FHIR_SYSTEMS.cpt : FHIR_SYSTEMS.hcpcs);

/** A reference to another ChargeItem of this server, by id and by its charge-id identifier. */
const chargeItemReference = (chargeId: string) => ({
  reference: `ChargeItem/${chargeId}`,
  type: 'ChargeItem',
  identifier: { system: FHIR_SYSTEMS.chargeId, value: chargeId },
});

/** A credit reason as an R4 code (no white space). */
const reasonCode = (reason: string) => reason.trim().replace(/\s+/g, '-') || 'unspecified';

/**
 * The ChargeItem's extensions: its modifiers in claim order (charge-modifier), the charge it replaces
 * (charge-replaces) and the credit that reversed it (charge-credit), each defined by a StructureDefinition
 * served at GET /fhir/StructureDefinition/{id}.
 */
function chargeExtensions(source: ChargeItemSource, urls: ExtensionUrls): Extension[] {
  const extensions: Extension[] = source.modifiers.map((m) => ({ url: urls.modifier, valueCoding: { system: modifierSystem(m), code: m } }));
  if (source.replacesChargeId) extensions.push({ url: urls.replaces, valueReference: chargeItemReference(source.replacesChargeId) });
  if (source.credit) {
    extensions.push({
      url: urls.credit,
      extension: [
        { url: 'credit', valueIdentifier: { system: FHIR_SYSTEMS.creditId, value: source.credit.creditId } },
        { url: 'date', valueDateTime: source.credit.creditedAt },
        { url: 'reason', valueCode: reasonCode(source.credit.reason) },
        ...(source.replacedByChargeIds ?? []).map((id) => ({ url: 'replacedBy', valueReference: chargeItemReference(id) })),
      ],
    });
  }
  return extensions;
}

const nonEmpty = <T>(items: T[]): T[] | undefined => (items.length > 0 ? items : undefined);

function escapeXhtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function notesOf(source: ChargeItemSource): Annotation[] {
  const notes: Annotation[] = [];
  const wasHeld = source.status === 'held' ? 'Held for review' : 'Was held for review';
  if (source.status === 'held' || source.release) {
    for (const hold of source.holdReasons) notes.push({ authorString: 'slidecharge billing rules', time: source.decidedAt, text: `${wasHeld} (${hold.rule}): ${hold.detail}` });
  }
  if (source.release) {
    notes.push({ authorString: source.release.by, time: source.release.at, text: `Released from review: ${source.release.justification}` });
  }
  for (const refused of source.refusedModifiers) {
    notes.push({ authorString: 'slidecharge billing rules', time: source.decidedAt, text: `Modifier ${refused.modifier} refused: ${refused.reason}` });
  }
  if (source.replacesChargeId) {
    notes.push({
      authorString: 'slidecharge billing rules',
      time: source.decidedAt,
      text: `Re-charge (generation ${source.generation}) replacing the reversed charge ${source.replacesChargeId}`,
    });
  }
  if (source.credit) {
    notes.push({
      authorString: 'slidecharge billing rules',
      time: source.credit.creditedAt,
      text: `Credited (${source.credit.reason}), credit ${source.credit.creditId}: ${source.credit.detail}`,
    });
  }
  if (source.void) notes.push({ authorString: source.void.by, time: source.void.at, text: `Voided before it was sent: ${source.void.reason}` });
  return notes;
}

/** The stored charge as an R4 ChargeItem, its extensions under the canonical URLs `urls`. */
/** ChargeItem.code: the add-on code, its modifiers in the text. */
function codeOf(source: ChargeItemSource): CodeableConcept {
  const display = addOnDisplay(source.code, source.primaryCode);
  const modifiers = source.modifiers.length > 0 ? `-${source.modifiers.join('-')}` : '';
  return { coding: [{ system: FHIR_SYSTEMS.cpt, code: source.code, display }], text: `${source.code}${modifiers} ${display}` };
}

/** ChargeItem.partOf: the primary procedure (88305...) this add-on belongs to, by logical identifier. */
function primaryProcedureOf(source: ChargeItemSource): Reference {
  const primaryName = primaryProcedureName(source.primaryCode);
  return {
    type: 'ChargeItem',
    identifier: { system: FHIR_SYSTEMS.primaryProcedure, value: `${source.accessionNumber}/${source.specimenId}/${source.primaryCode}` },
    display: `CPT ${source.primaryCode}${primaryName ? ` (${primaryName})` : ''}, specimen ${source.specimenId} of ${source.accessionNumber}`,
  };
}

/** ChargeItem.subject: the patient by medical record number. */
function patientOf(source: ChargeItemSource): Reference {
  return {
    type: 'Patient',
    identifier: {
      type: { coding: [{ system: FHIR_SYSTEMS.identifierType, code: 'MR', display: 'Medical record number' }] },
      system: FHIR_SYSTEMS.mrn,
      value: source.patientId,
    },
  };
}

/** ChargeItem.performer: the scanning step, by NUCC taxonomy. */
function performersOf(source: ChargeItemSource): ChargeItem['performer'] {
  const performer = source.performer;
  if (!performer) return undefined;
  const described = performer.description ? ` (${performer.description})` : '';
  return [
    {
      function: {
        coding: [{ system: FHIR_SYSTEMS.nucc, code: performer.taxonomy, ...(performer.description ? { display: performer.description } : {}) }],
        text: 'Slide scanning (digitization)',
      },
      actor: { type: 'Practitioner', display: `Scanning staff${described}` },
    },
  ];
}

/** ChargeItem.supportingInformation: the order (accession) and the specimen, by logical identifier. */
function orderAndSpecimenOf(source: ChargeItemSource): Reference[] {
  return [
    {
      type: 'ServiceRequest',
      identifier: {
        type: { coding: [{ system: FHIR_SYSTEMS.identifierType, code: 'FILL', display: 'Filler Identifier' }] },
        system: FHIR_SYSTEMS.accession,
        value: source.accessionNumber,
      },
      display: `Accession ${source.accessionNumber}`,
    },
    {
      type: 'Specimen',
      identifier: { system: FHIR_SYSTEMS.specimen, value: `${source.accessionNumber}/${source.specimenId}` },
      display: `Specimen ${source.specimenId} of ${source.accessionNumber}`,
    },
  ];
}

/** The generated narrative: one sentence of what the charge is and where it stands. */
function narrativeOf(source: ChargeItemSource, status: string): ChargeItem['text'] {
  const summary =
    `${source.code} x ${source.units} (add-on to ${source.primaryCode}), specimen ${source.specimenId} of ${source.accessionNumber}, ` +
    `date of service ${source.dateOfService}: ${status} (charge ${source.status}).`;
  return { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml"><p>${escapeXhtml(summary)}</p></div>` };
}

export function toChargeItem(source: ChargeItemSource, urls: ExtensionUrls): ChargeItem {
  const status = FHIR_STATUS_OF[source.status];
  const extensions = nonEmpty(chargeExtensions(source, urls));
  const performers = performersOf(source);
  const scans = nonEmpty(
    source.scanIds.map((scanId): Reference => ({ type: 'ImagingStudy', identifier: { system: FHIR_SYSTEMS.scan, value: scanId }, display: `Whole-slide scan ${scanId}` })),
  );
  const reasons = nonEmpty(source.diagnoses.map((dx): CodeableConcept => ({ coding: [{ system: FHIR_SYSTEMS.icd10cm, code: dx }] })));
  const notes = nonEmpty(notesOf(source));
  return {
    resourceType: 'ChargeItem',
    id: source.chargeId,
    meta: { lastUpdated: source.statusChangedAt },
    text: narrativeOf(source, status),
    ...(extensions ? { extension: extensions } : {}),
    identifier: [
      { use: 'official', system: FHIR_SYSTEMS.chargeId, value: source.chargeId },
      { use: 'secondary', system: FHIR_SYSTEMS.chargeKey, value: source.chargeKey },
    ],
    status,
    partOf: [primaryProcedureOf(source)],
    code: codeOf(source),
    subject: patientOf(source),
    occurrenceDateTime: source.dateOfService,
    ...(performers ? { performer: performers } : {}),
    quantity: { value: source.units },
    enterer: { type: 'Device', display: 'slidecharge billing rules' },
    enteredDate: source.decidedAt,
    ...(reasons ? { reason: reasons } : {}),
    ...(scans ? { service: scans } : {}),
    ...(notes ? { note: notes } : {}),
    supportingInformation: orderAndSpecimenOf(source),
  };
}
