/**
 * Why the case store refused a request. Transport-neutral: the REST controller turns these into HTTP
 * answers (see case-http.ts); an HL7 adapter can turn them into ACK AE/AR with an ERR segment.
 */
export abstract class CaseError extends Error {
  abstract readonly code: string;
}

export class CaseNotFoundError extends CaseError {
  readonly code = 'case_not_found';
  constructor(readonly accessionNumber: string) {
    super(`case ${accessionNumber} does not exist`);
  }
}

export class CaseExistsError extends CaseError {
  readonly code = 'case_exists';
  constructor(
    readonly accessionNumber: string,
    readonly status: string,
    readonly version: number,
  ) {
    super(
      `case ${accessionNumber} already exists (version ${version}${status === 'cancelled' ? ', cancelled' : ''}); ` +
        `use PUT /cases/${accessionNumber} to replace its details`,
    );
  }
}

export class CaseCancelledError extends CaseError {
  readonly code = 'case_cancelled';
  constructor(
    readonly accessionNumber: string,
    readonly version: number,
  ) {
    super(`case ${accessionNumber} is cancelled (version ${version}) and cannot be changed; accession the specimens under a new accession number`);
  }
}

export interface BarcodeOwner {
  barcode: string;
  accessionNumber: string;
}

export class BarcodeConflictError extends CaseError {
  readonly code = 'barcode_conflict';
  constructor(
    readonly accessionNumber: string,
    readonly conflicts: BarcodeOwner[],
  ) {
    super(
      conflicts.length === 1
        ? `slide barcode ${conflicts[0]?.barcode} already belongs to active case ${conflicts[0]?.accessionNumber}`
        : `slide barcodes already belong to other active cases: ${conflicts.map((c) => `${c.barcode} (case ${c.accessionNumber})`).join(', ')}`,
    );
  }
}

/** An HL7 cancel names a patient (PID-3) other than the case's: nothing is cancelled. */
export class PatientMismatchError extends CaseError {
  readonly code = 'patient_mismatch';
  constructor(
    readonly accessionNumber: string,
    readonly patientId: string,
    readonly casePatientId: string,
  ) {
    super(`case ${accessionNumber} belongs to patient ${casePatientId}, not ${patientId}; check the accession number (nothing was cancelled)`);
  }
}
