import { ConflictException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { BarcodeConflictError, CaseError, CaseNotFoundError, CaseTooLargeError } from './case.errors';

/**
 * The HTTP answer for a refused case request: 404 for an unknown case, 413 for a case over
 * ACCESSION_MAX_CASE_BYTES (with its size and the limit), 409 for the conflicts (an existing or
 * cancelled case, a slide barcode of another case, a cancel naming another patient).
 */
export function caseErrorToHttp(error: CaseError): HttpException {
  const body = { error: error.code, message: error.message };
  if (error instanceof CaseNotFoundError) return new NotFoundException(body);
  if (error instanceof CaseTooLargeError) return new PayloadTooLargeException({ ...body, sizeBytes: error.sizeBytes, limitBytes: error.limitBytes });
  if (error instanceof BarcodeConflictError) return new ConflictException({ ...body, conflicts: error.conflicts });
  return new ConflictException(body);
}

/** Rethrows a CaseError as its HTTP exception; anything else unchanged (a 500). */
export function asHttpError(error: unknown): unknown {
  return error instanceof CaseError ? caseErrorToHttp(error) : error;
}
