import { ArgumentsHost, Catch, HttpException, HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { currentCorrelationId, Logger } from '@slidecharge/messaging';
import { isDatabaseUnavailable } from './database-unavailable';
import { describeErrorForLog } from './error-log';
import { errorBodyMessage, FHIR_JSON, fhirErrorOutcome, isFhirPath } from './fhir-error-answer';
import { CORRELATION_HEADER, correlationIdFrom } from './http';
import { RequestRefusal } from './request-refusal';

interface ErrorRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  route?: { path?: unknown };
}
interface ErrorResponse {
  headersSent: boolean;
  status(code: number): unknown;
  send(body: string): unknown;
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): void;
}

/** The 500 answer: no detail of the failure (no SQL, no stack, no value), only the correlation id to quote. */
export function internalErrorBody(correlationId: string) {
  return {
    error: 'internal_error',
    message: `the request could not be completed; the error is logged under correlation id ${correlationId} (quote it to the operator, then retry)`,
    correlationId,
  };
}

/** The 503 answer while the database cannot be reached: nothing was done; the same request may be sent again. */
export function databaseUnavailableBody(correlationId: string) {
  return {
    error: 'service_unavailable',
    message: `the database cannot be reached now (a restart or an outage); nothing was changed: send the same request again in a few seconds (correlation id ${correlationId})`,
    correlationId,
  };
}

/**
 * Every service's last word on an error. HTTP exceptions (4xx refusals, 503 readiness) are answered
 * as Nest does; requests refused by the HTTP hardening before the request log saw them are logged
 * (status, code, method, route; no values). Anything else (a Prisma or Postgres error, a bug) is a 500
 * with a generic message and the correlation id, logged with describeErrorForLog: never the error's
 * message when it may hold patient data, never to the caller. Every error answer carries
 * x-correlation-id. A controller's own filter (FHIR's OperationOutcome) still comes first; an HTTP
 * error under /fhir that no controller saw (an unknown route, a refused URL) is answered as an R4
 * OperationOutcome in application/fhir+json (fhir-error-answer.ts); a refused Host (421) stays plain JSON,
 * whatever the route: that request was not meant for this server.
 */
@Catch()
export class ErrorAnswerFilter extends BaseExceptionFilter {
  constructor(
    applicationRef: HttpServer,
    private readonly logger: Logger,
  ) {
    super(applicationRef);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return super.catch(exception, host);
    const request = host.switchToHttp().getRequest<ErrorRequest>();
    const response = host.switchToHttp().getResponse<ErrorResponse>();
    const correlationId = correlationOf(request, response);
    const where = { method: request.method, route: typeof request.route?.path === 'string' ? request.route.path : request.path.slice(0, 200) };
    if (exception instanceof RequestRefusal) {
      this.logger.info({ ...where, status: exception.getStatus(), error: exception.refusal.error, correlationId }, 'request refused');
    }
    // 421: the request was not addressed to this server (a forged Host), so not answered in its FHIR format.
    if (exception instanceof HttpException && exception.getStatus() !== 421 && isFhirPath(request.path) && !response.headersSent) {
      return answerOperationOutcome(response, exception.getStatus(), errorBodyMessage(exception.getResponse(), exception.message));
    }
    if (exception instanceof HttpException) return super.catch(exception, host);
    if (isDatabaseUnavailable(exception) && !response.headersSent) return this.answerUnavailable(exception, response, where, correlationId);
    const clientError = clientHttpError(exception);
    if (!clientError) this.logger.error({ ...where, err: describeErrorForLog(exception), correlationId }, 'request failed');
    if (response.headersSent) return this.applicationRef?.end(response);
    if (clientError) this.applicationRef?.reply(response, clientError.body, clientError.status);
    else this.applicationRef?.reply(response, internalErrorBody(correlationId), 500);
  }

  private answerUnavailable(exception: unknown, response: ErrorResponse, where: { method: string; route: string }, correlationId: string): void {
    this.logger.warn({ ...where, err: describeErrorForLog(exception), correlationId }, 'request refused: the database cannot be reached now');
    response.setHeader('Retry-After', '5');
    this.applicationRef?.reply(response, databaseUnavailableBody(correlationId), 503);
  }
}

/** An HTTP error under /fhir: the same status, as an OperationOutcome. */
function answerOperationOutcome(response: ErrorResponse, status: number, message: string): void {
  response.status(status);
  response.setHeader('Content-Type', FHIR_JSON);
  response.send(JSON.stringify(fhirErrorOutcome(status, message)));
}

/** The request's correlation id (set by CorrelationMiddleware, or made now for a request refused before it), echoed in the answer. */
function correlationOf(request: ErrorRequest, response: ErrorResponse): string {
  const echoed = response.getHeader(CORRELATION_HEADER);
  if (typeof echoed === 'string' && echoed) return echoed;
  const correlationId = currentCorrelationId() ?? correlationIdFrom(request.headers[CORRELATION_HEADER]);
  if (!response.headersSent) response.setHeader(CORRELATION_HEADER, correlationId);
  return correlationId;
}

/** An http-errors 4xx from Express or a middleware whose message is meant for the client (expose), as a JSON answer. */
function clientHttpError(exception: unknown): { status: number; body: { error: string; message: string } } | undefined {
  const { statusCode, expose, message } = (typeof exception === 'object' && exception !== null ? exception : {}) as Record<string, unknown>;
  if (typeof statusCode !== 'number' || statusCode < 400 || statusCode >= 500 || expose !== true) return undefined;
  return { status: statusCode, body: { error: 'bad_request', message: String(message).slice(0, 200) } };
}
