import type { Charge } from '@slidecharge/contracts';
import type { Charge as ChargeRow } from '../generated/prisma/client';
import { isoDateOf } from '../prisma.service';
import type { StoredChargeStatus } from './charge-status';

/**
 * The one mapping between a stored charge (billing.charge, the Prisma model) and the contract's Charge
 * (the charge.posted data): chargeFromRow reads a row as a Charge, chargeColumnsOf writes a Charge as
 * the row's columns. The topic payload, the DFT^P03 delivery, the review queue, the charge query API and
 * the FHIR ChargeItem all read a charge through chargeFromRow; the insert writes one through
 * chargeColumnsOf. What a row keeps besides the Charge (generation, status, hold reasons, refused
 * modifiers, timestamps, trace id) is billing's bookkeeping, not part of the contract.
 */

/** Performer and policy of charges stored before payer policies existed (migration 0002). */
const UNRECORDED = 'unrecorded';
/** The performer taxonomy (histology technician) the topic carries for a charge stored before performers were recorded. */
const UNRECORDED_TAXONOMY = '246QH0600X';

/** Every column of billing.charge, by Prisma field, in the table's order (the compiler checks none is left out). */
export const CHARGE_COLUMN_NAMES = {
  chargeId: 'charge_id',
  chargeKey: 'charge_key',
  generation: 'generation',
  accessionNumber: 'accession_number',
  specimenId: 'specimen_id',
  code: 'code',
  primaryCode: 'primary_code',
  units: 'units',
  dateOfService: 'date_of_service',
  patientId: 'patient_id',
  payerId: 'payer_id',
  diagnoses: 'diagnoses',
  diagnosisPointers: 'diagnosis_pointers',
  modifiers: 'modifiers',
  refusedModifiers: 'refused_modifiers',
  performerTaxonomy: 'performer_taxonomy',
  performerName: 'performer_name',
  policyVersion: 'policy_version',
  payerPolicyId: 'payer_policy_id',
  holdReasons: 'hold_reasons',
  flags: 'flags',
  replacesChargeId: 'replaces_charge_id',
  slideBarcodes: 'slide_barcodes',
  scanIds: 'scan_ids',
  causedBy: 'caused_by',
  trace: 'trace',
  status: 'status',
  postedAt: 'posted_at',
  release: 'release',
  statusChangedAt: 'status_changed_at',
  createdAt: 'created_at',
  traceId: 'trace_id',
} as const satisfies Record<keyof ChargeRow, string>;

/** The Charge's fields that are columns of the same name and the same value. */
type SameNamedField = keyof Charge & keyof ChargeRow & ('chargeId' | 'chargeKey' | 'accessionNumber' | 'specimenId' | 'code' | 'primaryCode' | 'units' | 'patientId' | 'payerId' | 'diagnoses' | 'diagnosisPointers' | 'modifiers' | 'flags' | 'slideBarcodes' | 'scanIds' | 'causedBy');

/** The row columns a Charge fills, as JSON carries them (a date as YYYY-MM-DD, an instant as ISO text). */
export type ChargeColumns = Pick<Charge, SameNamedField | 'dateOfService' | 'trace'> & {
  [K in 'performerTaxonomy' | 'performerName' | 'policyVersion' | 'payerPolicyId' | 'replacesChargeId']: string | null;
} & {
  postedAt: string | null;
  release: NonNullable<Charge['release']> | null;
};

/** A stored charge as the charges topic carries it (charge.posted data). */
export function chargeFromRow(row: Omit<ChargeRow, 'trace'> & { trace?: ChargeRow['trace'] }): Charge {
  const release = row.release as Charge['release'] | null;
  return {
    chargeId: row.chargeId,
    chargeKey: row.chargeKey,
    transactionType: 'CG',
    accessionNumber: row.accessionNumber,
    specimenId: row.specimenId,
    code: row.code,
    primaryCode: row.primaryCode,
    units: row.units,
    dateOfService: isoDateOf(row.dateOfService),
    patientId: row.patientId,
    payerId: row.payerId,
    diagnoses: row.diagnoses,
    slideBarcodes: row.slideBarcodes,
    scanIds: row.scanIds,
    causedBy: row.causedBy,
    postedAt: (row.postedAt ?? row.createdAt).toISOString(),
    modifiers: row.modifiers,
    diagnosisPointers: row.diagnosisPointers,
    performer: { step: 'scanning', taxonomy: row.performerTaxonomy ?? UNRECORDED_TAXONOMY, description: row.performerName ?? UNRECORDED },
    policyVersion: row.policyVersion ?? UNRECORDED,
    payerPolicyId: row.payerPolicyId ?? UNRECORDED,
    flags: row.flags,
    ...(row.replacesChargeId ? { replacesChargeId: row.replacesChargeId } : {}),
    ...(release ? { release } : {}),
    trace: (row.trace ?? []) as Charge['trace'],
  };
}

/** The states of a charge that went out on billing.charges.v1 (a credit reverses only a posted charge). */
const WENT_OUT: readonly StoredChargeStatus[] = ['posted', 'credited'];

/**
 * The columns of a charge stored in `status`: the inverse of chargeFromRow for every row billing writes
 * (a charge's postedAt is stored only once it went out on the topic: posted, and credited afterwards; a
 * held, do-not-send or voided row keeps none, and chargeFromRow reads its createdAt instead).
 * Charges stored before performers and policies were recorded (null columns, read as `unrecorded`) are
 * the one case it does not restore: the topic never carried their nulls.
 */
export function chargeColumnsOf(charge: Charge, status: StoredChargeStatus): ChargeColumns {
  return {
    chargeId: charge.chargeId,
    chargeKey: charge.chargeKey,
    accessionNumber: charge.accessionNumber,
    specimenId: charge.specimenId,
    code: charge.code,
    primaryCode: charge.primaryCode,
    units: charge.units,
    dateOfService: charge.dateOfService,
    patientId: charge.patientId,
    payerId: charge.payerId,
    diagnoses: charge.diagnoses,
    diagnosisPointers: charge.diagnosisPointers,
    modifiers: charge.modifiers,
    performerTaxonomy: charge.performer.taxonomy,
    performerName: charge.performer.description,
    policyVersion: charge.policyVersion,
    payerPolicyId: charge.payerPolicyId,
    flags: charge.flags,
    replacesChargeId: charge.replacesChargeId ?? null,
    slideBarcodes: charge.slideBarcodes,
    scanIds: charge.scanIds,
    causedBy: charge.causedBy,
    trace: charge.trace,
    postedAt: WENT_OUT.includes(status) ? charge.postedAt : null,
    release: charge.release ?? null,
  };
}

/** A record keyed by Prisma field, keyed by SQL column instead (for jsonb_populate_recordset). */
export function byColumnName<Fields extends Partial<Record<keyof ChargeRow, unknown>>>(fields: Fields): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([field, value]) => [CHARGE_COLUMN_NAMES[field as keyof ChargeRow], value]));
}

export const storedStatus = (row: { status: string }) => row.status as StoredChargeStatus;
