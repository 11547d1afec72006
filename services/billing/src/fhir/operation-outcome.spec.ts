import { ArgumentsHost, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import type { ServiceRuntime } from '@slidecharge/service-kit';
import { FHIR_JSON, FhirError, FhirExceptionFilter, operationOutcome } from './operation-outcome';
import { OperationOutcome } from './r4';

/** Runs the filter on one exception and returns what it answered. */
function answer(exception: unknown): { status: number; contentType: string; body: unknown; logged: unknown[] } {
  const sent = { status: 0, contentType: '', body: undefined as unknown };
  const logged: unknown[] = [];
  const response = {
    status(code: number) {
      sent.status = code;
      return response;
    },
    setHeader(name: string, value: string) {
      if (name === 'Content-Type') sent.contentType = value;
    },
    send(body: string) {
      sent.body = JSON.parse(body);
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  const runtime = { logger: { error: (...args: unknown[]) => logged.push(args) } } as unknown as ServiceRuntime;
  new FhirExceptionFilter(runtime).catch(exception, host);
  return { ...sent, logged };
}

describe('FhirExceptionFilter', () => {
  it('answers a FhirError with its status and OperationOutcome, as application/fhir+json', () => {
    const outcome = operationOutcome('value', 'date: bad', ['http.date']);
    expect(answer(new FhirError(400, outcome))).toEqual({ status: 400, contentType: FHIR_JSON, body: outcome, logged: [] });
  });

  it('turns other HTTP errors into an OperationOutcome with their status', () => {
    const notFound = answer(new NotFoundException('Cannot GET /fhir/Patient'));
    expect(notFound).toMatchObject({ status: 404, contentType: FHIR_JSON, body: { issue: [{ severity: 'error', code: 'not-found' }] } });
    expect(OperationOutcome.safeParse(notFound.body).success).toBe(true);
    expect(answer(new PayloadTooLargeException()).body).toMatchObject({ issue: [{ code: 'too-costly' }] });
  });

  it('answers anything else with a 500 that gives nothing away, and logs the error', () => {
    const failure = answer(new Error('connection refused to 10.0.0.5'));
    expect(failure).toMatchObject({ status: 500, body: { resourceType: 'OperationOutcome', issue: [{ code: 'exception' }] } });
    expect(JSON.stringify(failure.body)).not.toContain('10.0.0.5');
    expect(failure.logged).toHaveLength(1);
  });
});
