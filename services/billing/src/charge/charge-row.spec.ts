import { Charge as ChargeSchema } from '@slidecharge/contracts';
import type { Charge as ChargeRow } from '../generated/prisma/client';
import { byColumnName, CHARGE_COLUMN_NAMES, chargeColumnsOf, chargeFromRow } from './charge-row';
import { StoredChargeStatus } from './charge-status';

/** A row as billing writes it today (performer and policy recorded), posted. */
const ROW: ChargeRow = {
  chargeId: '5b0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f',
  chargeKey: 'S26-000123/A/0753T',
  generation: 2,
  accessionNumber: 'S26-000123',
  specimenId: 'A',
  code: '0753T',
  primaryCode: '88305',
  units: 2,
  dateOfService: new Date('2026-11-20T00:00:00.000Z'),
  patientId: 'MRN-0042',
  payerId: 'AETNA',
  diagnoses: ['C50.911', 'Z80.3'],
  diagnosisPointers: [1, 2],
  modifiers: ['Q1', 'GY'],
  refusedModifiers: [{ modifier: '51', reason: 'add-on codes are 51-exempt' }],
  performerTaxonomy: '246QH0600X',
  performerName: 'Specialist/Technologist, Pathology - Histology',
  policyVersion: '2025.1',
  payerPolicyId: 'aetna',
  holdReasons: [],
  flags: ['unconfirmed-pairing'],
  replacesChargeId: '7a0c2f6e-1d2a-5c3b-9e4f-0a1b2c3d4e5f',
  slideBarcodes: ['S26-000123-A1-1', 'S26-000123-A1-2'],
  scanIds: ['img-1', 'img-2'],
  causedBy: ['e1', 'e2'],
  trace: [{ rule: 'digitization', outcome: 'charge', detail: 'scan img-1 passed QC' }],
  status: 'posted',
  postedAt: new Date('2026-11-27T10:14:05.123Z'),
  release: null,
  statusChangedAt: new Date('2026-11-27T10:14:05.123Z'),
  createdAt: new Date('2026-11-27T10:14:04.002Z'),
  traceId: '0af7651916cd43dd8448eb211c80319c',
};

/** The columns billing keeps besides the Charge: what chargeColumnsOf does not fill. */
const BOOKKEEPING: (keyof ChargeRow)[] = ['generation', 'refusedModifiers', 'holdReasons', 'status', 'statusChangedAt', 'createdAt', 'traceId'];

/** A row's value as JSON carries it: a date as YYYY-MM-DD, an instant as ISO text. */
function asJson(field: keyof ChargeRow, value: unknown): unknown {
  if (!(value instanceof Date)) return value;
  return field === 'dateOfService' ? value.toISOString().slice(0, 10) : value.toISOString();
}

/** Every column of `row` but the bookkeeping, as JSON carries them. */
function chargeColumnsOfRow(row: ChargeRow): Record<string, unknown> {
  const fields = (Object.keys(CHARGE_COLUMN_NAMES) as (keyof ChargeRow)[]).filter((f) => !BOOKKEEPING.includes(f));
  return Object.fromEntries(fields.map((f) => [f, asJson(f, row[f])]));
}

const ROWS: Record<string, ChargeRow> = {
  'posted re-charge': ROW,
  'held (not posted yet)': { ...ROW, status: 'held', postedAt: null, replacesChargeId: null, holdReasons: [{ rule: 'payer-policy', detail: 'MAC wants a justification' }] },
  'do-not-send': { ...ROW, status: 'do-not-send', postedAt: null, modifiers: [], diagnosisPointers: [], flags: [] },
  'released from review': {
    ...ROW,
    replacesChargeId: null,
    postedAt: new Date('2026-11-28T09:00:00.000Z'),
    release: { by: 'j.doe', justification: 'signed out digitally', at: '2026-11-28T09:00:00.000Z' },
  },
  'credited after posting': { ...ROW, status: 'credited' },
  'voided in review (never posted)': { ...ROW, status: 'voided', postedAt: null },
};

describe('the stored row and the contract Charge', () => {
  it.each(Object.keys(ROWS))('row -> Charge -> row columns is lossless (%s)', (name) => {
    const row = ROWS[name] as ChargeRow;
    const charge = chargeFromRow(row);
    expect(ChargeSchema.safeParse(charge).success).toBe(true);
    expect(chargeColumnsOf(charge, row.status as StoredChargeStatus)).toEqual(chargeColumnsOfRow(row));
  });

  it('Charge -> row columns -> row -> Charge is lossless for a posted charge', () => {
    const charge = chargeFromRow(ROW);
    const columns = chargeColumnsOf(charge, 'posted');
    const stored: ChargeRow = {
      ...ROW,
      ...columns,
      dateOfService: new Date(`${columns.dateOfService}T00:00:00.000Z`),
      postedAt: columns.postedAt === null ? null : new Date(columns.postedAt),
    };
    expect(chargeFromRow(stored)).toEqual(charge);
  });

  it('fills every column but the bookkeeping (generation, status, hold reasons, refused modifiers, times, trace id)', () => {
    const filled = Object.keys(chargeColumnsOf(chargeFromRow(ROW), 'posted'));
    expect([...filled, ...BOOKKEEPING].sort()).toEqual(Object.keys(CHARGE_COLUMN_NAMES).sort());
  });

  it('reads a charge stored before performers and policies were recorded as unrecorded (the one lossy case: the topic never carried nulls)', () => {
    const legacy = { ...ROW, performerTaxonomy: null, performerName: null, policyVersion: null, payerPolicyId: null };
    const charge = chargeFromRow(legacy);
    expect(charge.performer).toEqual({ step: 'scanning', taxonomy: '246QH0600X', description: 'unrecorded' });
    expect([charge.policyVersion, charge.payerPolicyId]).toEqual(['unrecorded', 'unrecorded']);
    expect(chargeColumnsOf(charge, 'posted')).toEqual({
      ...chargeColumnsOfRow(legacy),
      performerTaxonomy: '246QH0600X',
      performerName: 'unrecorded',
      policyVersion: 'unrecorded',
      payerPolicyId: 'unrecorded',
    });
  });

  it('keys a record by SQL column, in the table order the insert and the DFT^P03 select list', () => {
    expect(Object.values(CHARGE_COLUMN_NAMES)).toEqual([
      'charge_id', 'charge_key', 'generation', 'accession_number', 'specimen_id', 'code', 'primary_code', 'units', 'date_of_service',
      'patient_id', 'payer_id', 'diagnoses', 'diagnosis_pointers', 'modifiers', 'refused_modifiers', 'performer_taxonomy',
      'performer_name', 'policy_version', 'payer_policy_id', 'hold_reasons', 'flags', 'replaces_charge_id', 'slide_barcodes',
      'scan_ids', 'caused_by', 'trace', 'status', 'posted_at', 'release', 'status_changed_at', 'created_at', 'trace_id',
    ]);
    expect(byColumnName({ chargeId: 'c', dateOfService: '2026-11-20', traceId: null })).toEqual({ charge_id: 'c', date_of_service: '2026-11-20', trace_id: null });
  });
});
