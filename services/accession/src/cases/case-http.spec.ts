import { ConflictException, NotFoundException } from '@nestjs/common';
import { asHttpError, caseErrorToHttp } from './case-http';
import { BarcodeConflictError, CaseCancelledError, CaseExistsError, CaseNotFoundError, CaseTooLargeError, PatientMismatchError } from './case.errors';

describe('case errors over HTTP', () => {
  it('answers 404 for an unknown case and 409 for conflicts, with a code and a message', () => {
    const notFound = caseErrorToHttp(new CaseNotFoundError('S26-404'));
    expect(notFound).toBeInstanceOf(NotFoundException);
    expect(notFound.getResponse()).toEqual({ error: 'case_not_found', message: 'case S26-404 does not exist' });
    expect(caseErrorToHttp(new CaseExistsError('S26-1', 'active', 2)).getStatus()).toBe(409);
    expect(caseErrorToHttp(new CaseCancelledError('S26-1', 3)).getResponse()).toMatchObject({ error: 'case_cancelled' });
  });

  it('names the barcode and the case that owns it', () => {
    const conflict = caseErrorToHttp(new BarcodeConflictError('S26-2', [{ barcode: 'BC-1', accessionNumber: 'S26-1' }]));
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict.getResponse()).toEqual({
      error: 'barcode_conflict',
      message: 'slide barcode BC-1 already belongs to active case S26-1',
      conflicts: [{ barcode: 'BC-1', accessionNumber: 'S26-1' }],
    });
    const many = new BarcodeConflictError('S26-3', [
      { barcode: 'BC-1', accessionNumber: 'S26-1' },
      { barcode: 'BC-2', accessionNumber: 'S26-2' },
    ]);
    expect(many.message).toBe('slide barcodes already belong to other active cases: BC-1 (case S26-1), BC-2 (case S26-2)');
  });

  it('a case over the size limit: 413 naming its size and the limit', () => {
    const tooLarge = caseErrorToHttp(new CaseTooLargeError('S26-9', 400_123, 262_144));
    expect(tooLarge.getStatus()).toBe(413);
    expect(tooLarge.getResponse()).toEqual({
      error: 'case_too_large',
      message: 'case S26-9 is 400123 bytes as a case event; at most 262144 bytes are accepted (fewer slides or shorter texts per case)',
      sizeBytes: 400_123,
      limitBytes: 262_144,
    });
  });

  it('a cancel naming another patient: 409 without any patient id', () => {
    const mismatch = caseErrorToHttp(new PatientMismatchError('S26-1'));
    expect(mismatch.getStatus()).toBe(409);
    expect(mismatch.getResponse()).toEqual({
      error: 'patient_mismatch',
      message: 'the patient id sent does not match the patient of case S26-1; check the accession number and the patient id (nothing was cancelled)',
    });
  });

  it('leaves other errors alone', () => {
    const other = new Error('database down');
    expect(asHttpError(other)).toBe(other);
  });
});
