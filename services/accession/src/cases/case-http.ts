import { ConflictException, HttpException, NotFoundException } from '@nestjs/common';
import { BarcodeConflictError, CaseCancelledError, CaseError, CaseExistsError, CaseNotFoundError } from './case.errors';

/** The HTTP answer for a refused case request: 404 for an unknown case, 409 for the conflicts. */
export function caseErrorToHttp(error: CaseError): HttpException {
  const body = { error: error.code, message: error.message };
  if (error instanceof CaseNotFoundError) return new NotFoundException(body);
  if (error instanceof BarcodeConflictError) return new ConflictException({ ...body, conflicts: error.conflicts });
  if (error instanceof CaseExistsError || error instanceof CaseCancelledError) return new ConflictException(body);
  return new ConflictException(body);
}

/** Rethrows a CaseError as its HTTP exception; anything else unchanged (a 500). */
export function asHttpError(error: unknown): unknown {
  return error instanceof CaseError ? caseErrorToHttp(error) : error;
}
