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

/**
 * A cancel names a patient (HL7 PID-3, REST `patientId`) other than the case's: nothing is cancelled.
 * Neither patient id is kept in the error: its text goes back to the sender (ACK, HTTP answer) and
 * into logs, and must not tell a caller whose case this is.
 */
export class PatientMismatchError extends CaseError {
  readonly code = 'patient_mismatch';
  constructor(readonly accessionNumber: string) {
    super(`the patient id sent does not match the patient of case ${accessionNumber}; check the accession number and the patient id (nothing was cancelled)`);
  }
}

/**
 * The case, as the event that would publish it, is larger than ACCESSION_MAX_CASE_BYTES (a Kafka
 * record must stay below the broker's 1 MiB limit). Nothing is stored or published.
 */
export class CaseTooLargeError extends CaseError {
  readonly code = 'case_too_large';
  constructor(
    readonly accessionNumber: string,
    readonly sizeBytes: number,
    readonly limitBytes: number,
  ) {
    super(`case ${accessionNumber} is ${sizeBytes} bytes as a case event; at most ${limitBytes} bytes are accepted (fewer slides or shorter texts per case)`);
  }
}

/** A slide move names a slide the case does not have (nor has the target case it at that specimen already). */
export class SlideNotFoundError extends CaseError {
  readonly code = 'slide_not_found';
  constructor(
    readonly accessionNumber: string,
    readonly barcode: string,
  ) {
    super(`case ${accessionNumber} has no slide ${barcode}`);
  }
}

/** A slide move names a specimen the target case does not have: send the case with that specimen first (PUT). */
export class UnknownSpecimenError extends CaseError {
  readonly code = 'unknown_specimen';
  constructor(
    readonly accessionNumber: string,
    readonly specimenId: string,
  ) {
    super(`case ${accessionNumber} has no specimen ${specimenId}; add the specimen to the case (PUT /cases/${accessionNumber}) before moving a slide to it`);
  }
}

/** A slide move whose target is the case the slide is on: a change of specimen within a case is a PUT. */
export class SameCaseMoveError extends CaseError {
  readonly code = 'same_case';
  constructor(readonly accessionNumber: string) {
    super(`the slide is already on case ${accessionNumber}; to change its specimen, send the case with PUT /cases/${accessionNumber}`);
  }
}
