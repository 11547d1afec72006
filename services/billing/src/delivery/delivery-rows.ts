import { CHARGE_COLUMN_NAMES } from '../charge/charge-row';
import type { BillingCase as CaseRow, Charge as ChargeRow, Credit as CreditRow } from '../generated/prisma/client';

/**
 * The stored charge, credit and case as the DFT^P03 sender reads them with raw SQL: each Prisma model
 * field with the SQL that selects it (the compiler checks that no field is left out), and the one
 * conversion pg does not make the way Prisma does (a `date` column, read as text, becomes UTC midnight).
 */
type Columns<Row> = Record<keyof Row, string>;

/** Every charge column (charge-row.ts's names), the uuids and the date read as text. */
const CHARGE_COLUMNS = {
  ...CHARGE_COLUMN_NAMES,
  chargeId: 'charge_id::text',
  dateOfService: `to_char(date_of_service, 'YYYY-MM-DD')`,
  replacesChargeId: 'replaces_charge_id::text',
} satisfies Columns<ChargeRow>;

const CREDIT_COLUMNS = {
  creditId: 'credit_id::text',
  creditFor: 'credit_for::text',
  reason: 'reason',
  detail: 'detail',
  causedBy: 'caused_by',
  trace: 'trace',
  createdAt: 'created_at',
  traceId: 'trace_id',
} satisfies Columns<CreditRow>;

/** The case fields a DFT^P03 is built from (PID, IN1, the ordering provider). */
export type DeliveryCase = Pick<CaseRow, 'patient' | 'payerName' | 'payerPlan' | 'orderingProvider' | 'orderingProviderNpi'>;

const CASE_COLUMNS = {
  accessionNumber: 'accession_number',
  patient: 'patient',
  payerName: 'payer_name',
  payerPlan: 'payer_plan',
  orderingProvider: 'ordering_provider',
  orderingProviderNpi: 'ordering_provider_npi',
} satisfies Columns<DeliveryCase & { accessionNumber: string }>;

const selectList = (columns: Record<string, string>) =>
  Object.entries(columns)
    .map(([field, sql]) => `${sql} AS "${field}"`)
    .join(', ');

export const SELECT_CHARGES = `SELECT ${selectList(CHARGE_COLUMNS)} FROM billing.charge WHERE charge_id = ANY($1::uuid[])`;
export const SELECT_CREDITS = `SELECT ${selectList(CREDIT_COLUMNS)} FROM billing.credit WHERE credit_id = ANY($1::uuid[])`;
export const SELECT_CASES = `SELECT ${selectList(CASE_COLUMNS)} FROM billing.billing_case WHERE accession_number = ANY($1::text[])`;

/** A charge row as SELECT_CHARGES answers it, made what Prisma would have answered. */
export function chargeRowOf(row: Omit<ChargeRow, 'dateOfService'> & { dateOfService: string }): ChargeRow {
  return { ...row, dateOfService: new Date(`${row.dateOfService}T00:00:00.000Z`) };
}
