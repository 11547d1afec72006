import type { Charge } from '@slidecharge/contracts';
import type { Charge as ChargeRow } from '../generated/prisma/client';
import { isoDateOf } from '../prisma.service';
import type { StoredChargeStatus } from './charge-status';

/** Performer and policy of charges stored before payer policies existed (migration 0002). */
const UNRECORDED = 'unrecorded';

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
    performer: { step: 'scanning', taxonomy: row.performerTaxonomy ?? '246QH0600X', description: row.performerName ?? UNRECORDED },
    policyVersion: row.policyVersion ?? UNRECORDED,
    payerPolicyId: row.payerPolicyId ?? UNRECORDED,
    flags: row.flags,
    ...(row.replacesChargeId ? { replacesChargeId: row.replacesChargeId } : {}),
    ...(release ? { release } : {}),
    trace: (row.trace ?? []) as Charge['trace'],
  };
}

export const storedStatus = (row: { status: string }) => row.status as StoredChargeStatus;
