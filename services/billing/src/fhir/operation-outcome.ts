import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import { describeErrorForLog, errorBodyMessage, FHIR_JSON, issueTypeOfStatus, ServiceRuntime } from '@slidecharge/service-kit';
import type { IssueType, OperationOutcome } from './r4';
import type { SearchProblem } from './search';

export { FHIR_JSON };

/** An error answered as an OperationOutcome with this HTTP status. */
export class FhirError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue.map((i) => i.diagnostics ?? i.code).join('; '));
  }
}

export function operationOutcome(code: IssueType, diagnostics: string, location?: string[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics, ...(location ? { location } : {}) }] };
}

/** 400: one issue per bad search parameter; location names it the R4 way for HTTP errors ("http." + name). */
export function searchProblemsOutcome(problems: readonly SearchProblem[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: problems.map((p) => ({ severity: 'error', code: p.code, diagnostics: p.message, location: [`http.${p.param}`] })),
  };
}

export function notFoundOutcome(id: string): OperationOutcome {
  return operationOutcome('not-found', `ChargeItem/${id} is not known: no charge has this id`);
}

interface FhirResponse {
  status(code: number): FhirResponse;
  setHeader(name: string, value: string): unknown;
  send(body: string): unknown;
}

/**
 * Answers every error of the FHIR controller as an OperationOutcome in application/fhir+json: our own
 * FhirErrors as they are, other HTTP errors with their status, anything else as a logged 500.
 */
@Catch()
export class FhirExceptionFilter implements ExceptionFilter {
  constructor(private readonly runtime: ServiceRuntime) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<FhirResponse>();
    let status: number;
    let outcome: OperationOutcome;
    if (exception instanceof FhirError) {
      status = exception.status;
      outcome = exception.outcome;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      outcome = operationOutcome(issueTypeOfStatus(status), errorBodyMessage(exception.getResponse(), exception.message));
    } else {
      status = HttpStatus.INTERNAL_SERVER_ERROR;
      // Never the error itself: a Prisma or Postgres message can quote the patient identifier searched for.
      this.runtime.logger.error({ err: describeErrorForLog(exception) }, 'FHIR request failed');
      outcome = operationOutcome('exception', 'the server could not answer; the error is logged (retry later or tell the operator)');
    }
    response.status(status);
    response.setHeader('Content-Type', FHIR_JSON);
    response.send(JSON.stringify(outcome));
  }
}
