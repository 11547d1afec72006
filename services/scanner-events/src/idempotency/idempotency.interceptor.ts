import { applyDecorators, BadRequestException, CallHandler, ExecutionContext, Injectable, NestInterceptor, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { catchError, from, mergeMap, Observable, of, throwError } from 'rxjs';
import { GuardedRequest, openApiSchema } from '@slidecharge/service-kit';
import { z } from 'zod';
import { idempotencyKeyFrom, isStoredStatus, REPLAYED_HEADER, requestFingerprint } from './idempotency';
import { IdempotencyService, IdempotentRequest } from './idempotency.service';

interface HttpRequest extends GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  method: string;
  path: string;
  body?: unknown;
}
interface HttpResponse {
  statusCode: number;
  status(code: number): unknown;
  setHeader(name: string, value: string): void;
}

/**
 * Honours an Idempotency-Key header: the first request with a key runs and its 2xx answer is stored;
 * the same key with the same request gets that answer again (status and body, header
 * Idempotent-Replayed: true) without running; the same key with another request is refused. Keys are
 * per caller (authentication runs first and names the client). A request without the header runs as
 * before. Runs after the guard and before the body is validated, so a 4xx from validation frees the key.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly store: IdempotencyService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const response = http.getResponse<HttpResponse>();
    const header = idempotencyKeyFrom(request.headers);
    if (header.kind === 'none') return next.handle();
    if (header.kind === 'invalid') throw new BadRequestException({ error: 'invalid_idempotency_key', message: header.reason });
    if (!request.principal) throw new Error('IdempotencyInterceptor on a route that needs no credential');

    const idempotent: IdempotentRequest = {
      clientId: request.principal.clientId ?? request.principal.subject,
      key: header.key,
      fingerprint: requestFingerprint(request.method, request.path, request.body),
      method: request.method,
      path: request.path,
    };
    const outcome = await this.store.begin(idempotent);
    if (outcome.kind === 'replay') {
      response.status(outcome.statusCode);
      response.setHeader(REPLAYED_HEADER, 'true');
      return of(outcome.body);
    }
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        // Nest has set the route's status (@HttpCode) before interceptors run.
        if (isStoredStatus(response.statusCode)) await this.store.complete(idempotent, response.statusCode, body);
        else await this.store.release(idempotent);
        return body;
      }),
      catchError((err: unknown) => from(this.store.release(idempotent)).pipe(mergeMap(() => throwError(() => err)))),
    );
  }
}

const IdempotencyError = z.object({ error: z.string(), message: z.string() });

/** Idempotency-Key support on a POST route, with its OpenAPI description. */
export function Idempotent() {
  return applyDecorators(UseInterceptors(IdempotencyInterceptor), IdempotencyDocs());
}

/** The OpenAPI description of Idempotency-Key (for routes that place IdempotencyInterceptor themselves). */
export function IdempotencyDocs() {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Optional, 1-255 printable ASCII characters (a UUID). A retry with the same key and the same body gets the first answer again ' +
        '(header Idempotent-Replayed: true) without running twice. Kept per API key for SCANNER_IDEMPOTENCY_TTL_HOURS (default 24 h).',
    }),
    ApiUnprocessableEntityResponse({ description: 'idempotency_key_reused: the key was used with a different request.', schema: openApiSchema(IdempotencyError, 'output') }),
    ApiConflictResponse({ description: 'idempotency_in_progress: the first request with this key is still running; retry shortly.', schema: openApiSchema(IdempotencyError, 'output') }),
  );
}
