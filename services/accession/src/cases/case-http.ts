import { BadRequestException, ConflictException, HttpException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { BarcodeConflictError, CaseError, CaseNotFoundError, CaseTooLargeError, SameCaseMoveError, SlideNotFoundError } from './case.errors';

/**
 * The HTTP answer for a refused case request: 400 for a slide move to its own case, 404 for an unknown
 * case or a slide the case does not have, 413 for a case over
 * ACCESSION_MAX_CASE_BYTES (with its size and the limit), 409 for the conflicts (an existing or
 * cancelled case, a slide barcode of another case, a cancel naming another patient, a slide move to a
 * specimen the target case does not have).
 */
export function caseErrorToHttp(error: CaseError): HttpException {
  const body = { error: error.code, message: error.message };
  if (error instanceof SameCaseMoveError) return new BadRequestException(body);
  if (error instanceof CaseNotFoundError || error instanceof SlideNotFoundError) return new NotFoundException(body);
  if (error instanceof CaseTooLargeError) return new PayloadTooLargeException({ ...body, sizeBytes: error.sizeBytes, limitBytes: error.limitBytes });
  if (error instanceof BarcodeConflictError) return new ConflictException({ ...body, conflicts: error.conflicts });
  return new ConflictException(body);
}

/** Rethrows a CaseError as its HTTP exception; anything else unchanged (a 500). */
export function asHttpError(error: unknown): unknown {
  return error instanceof CaseError ? caseErrorToHttp(error) : error;
}
