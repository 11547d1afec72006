import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';
import { findUnsafeText } from '@slidecharge/contracts';
import { RequestRefusal, unsafeTextRefusal } from './request-refusal';

interface UrlRequest {
  params?: unknown;
  query?: unknown;
}

/** The refusal for a control character, NUL or unpaired surrogate in a decoded path parameter or query value or name. */
export function unsafeUrlTextRefusal(request: UrlRequest, maxDepth: number): RequestRefusal | undefined {
  const inPath = request.params === undefined ? undefined : findUnsafeText(request.params, { maxDepth, allowLineBreaks: false });
  if (inPath) return unsafeTextRefusal('path', inPath);
  const inQuery = request.query === undefined ? undefined : findUnsafeText(request.query, { maxDepth, allowLineBreaks: false });
  return inQuery ? unsafeTextRefusal('query', inQuery) : undefined;
}

/**
 * Refuses (400 invalid_text) a request whose decoded path parameters or query strings hold a control
 * character (TAB, CR and LF included: no identifier or filter has them), NUL or an unpaired surrogate,
 * e.g. %00 in a path segment. Global, after the guards, inside the route: a controller's own exception
 * filter (FHIR's OperationOutcome) answers it in its format.
 */
@Injectable()
export class UnsafeUrlTextInterceptor implements NestInterceptor {
  constructor(private readonly maxDepth: number) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const refusal = unsafeUrlTextRefusal(context.switchToHttp().getRequest<UrlRequest>(), this.maxDepth);
      if (refusal) throw refusal;
    }
    return next.handle();
  }
}
