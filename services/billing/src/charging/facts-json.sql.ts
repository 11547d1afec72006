/**
 * The JSON shapes in which billing's SQL reads a case's scans and QC verdicts (LoadedCaseRow's `scans`
 * and `qc`): one expression each, used by the whole-case read and by the writes that return what they
 * stored, so that facts kept in memory from either are the same values.
 */

/** A billing.scan row (aliased `alias`) as LoadedCaseRow['scans'][number]. */
export const scanJsonSql = (alias: string) =>
  `json_build_object('scanId', ${alias}.scan_id, 'slideBarcode', ${alias}.slide_barcode, 'status', ${alias}.status, ` +
  `'purpose', ${alias}.purpose, 'scannedAt', ${alias}.scanned_at, 'sourceEventId', ${alias}.source_event_id)`;

/** A billing.qc_outcome row (aliased `alias`) as LoadedCaseRow['qc'][number]. */
export const qcJsonSql = (alias: string) =>
  `json_build_object('scanId', ${alias}.scan_id, 'passed', ${alias}.passed, 'reasons', ${alias}.reasons, 'sourceEventId', ${alias}.source_event_id)`;

/** Every charge of the case `accession` names, all generations and states, as LoadedCaseRow['charges'] (a json array). */
export const chargesJsonSql = (accession: string) =>
  `COALESCE((SELECT json_agg(json_build_object('chargeId', ch.charge_id, 'chargeKey', ch.charge_key, 'generation', ch.generation,
                                        'status', ch.status, 'specimenId', ch.specimen_id,
                                        'code', ch.code, 'primaryCode', ch.primary_code, 'units', ch.units,
                                        'dateOfService', to_char(ch.date_of_service, 'YYYY-MM-DD'), 'patientId', ch.patient_id,
                                        'payerId', ch.payer_id, 'diagnoses', ch.diagnoses, 'modifiers', ch.modifiers,
                                        'slideBarcodes', ch.slide_barcodes, 'diagnosisPointers', ch.diagnosis_pointers,
                                        'holdRules', (SELECT COALESCE(json_agg(h->>'rule'), '[]'::json) FROM jsonb_array_elements(ch.hold_reasons) h),
                                        'voidedByReviewer', EXISTS (SELECT 1 FROM billing.charge_audit a
                                                                     WHERE a.charge_id = ch.charge_id AND a.action = 'voided' AND a.actor <> 'billing-rules'))
                                        ORDER BY ch.charge_key, ch.generation)
                          FROM billing.charge ch WHERE ch.accession_number = ${accession}), '[]'::json)`;
