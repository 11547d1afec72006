import { CallHandler, ExecutionContext, HttpException, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { withUnsafeCharactersReplaced } from '@slidecharge/contracts';
import { currentCorrelationId, SqlExecutor } from '@slidecharge/messaging';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import type { GuardedRequest } from './access.guard';
import type { Principal } from './principal';

/** One call that read or changed patient data: who, what, when, with what outcome. */
export interface AccessAuditEntry {
  principal: Principal;
  method: string;
  route: string;
  params: Record<string, unknown>;
  status: number;
  records: number | undefined;
  correlationId: string | undefined;
  remoteAddress: string | undefined;
}

/** Where a service keeps its access audit: "<schema>".access_audit (prisma/<service>/schema.prisma). */
export interface AccessAuditWriter {
  record(entry: AccessAuditEntry): Promise<void>;
}
export const ACCESS_AUDIT = Symbol('ACCESS_AUDIT');

export function sqlAccessAudit(database: SqlExecutor, schema: string): AccessAuditWriter {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name ${schema}`);
  return {
    async record(e) {
      await database.$executeRawUnsafe(
        `INSERT INTO "${schema}".access_audit (subject, username, client_id, roles, method, route, params, status, records, correlation_id, remote_address)
         VALUES ($1, $2, $3, $4::text[], $5, $6, $7::jsonb, $8, $9, $10, $11)`,
        e.principal.subject,
        e.principal.displayName,
        e.principal.clientId ?? null,
        e.principal.roles,
        e.method,
        e.route,
        JSON.stringify(e.params),
        e.status,
        e.records ?? null,
        e.correlationId ?? null,
        e.remoteAddress ?? null,
      );
    },
  };
}

const AUDIT_VALUE_MAX = 256;

/**
 * The route parameters and query as they can be stored: strings cut to 256 characters, control
 * characters and unpaired surrogates (refused anyway, but recorded when refused) made visible as U+FFFD.
 */
export function auditableParams(values: Record<string, unknown>): Record<string, string | string[]> {
  const clean = (v: unknown) => withUnsafeCharactersReplaced(String(v).slice(0, AUDIT_VALUE_MAX));
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [clean(k), Array.isArray(v) ? v.slice(0, 20).map(clean) : clean(v)]));
}

/** How many records of patient data an answer holds: a list's items, a FHIR Bundle's entries, else one. */
export function recordsIn(body: unknown): number | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { items, entry } = body as { items?: unknown; entry?: unknown };
  if (Array.isArray(items)) return items.length;
  if (Array.isArray(entry)) return entry.length;
  return 1;
}

interface AuditedRequest extends GuardedRequest {
  method: string;
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  socket?: { remoteAddress?: string };
}

/**
 * Records every call to a route marked `patientData` in the access matrix, answered or refused,
 * before the answer leaves (45 CFR 164.312(b)). When the record cannot be written the answer fails:
 * patient data is not shown unaudited.
 */
@Injectable()
export class AccessAuditInterceptor implements NestInterceptor {
  constructor(@Inject(ACCESS_AUDIT) private readonly writer: AccessAuditWriter | null) {}

  intercept(execution: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = execution.switchToHttp().getRequest<AuditedRequest>();
    if (!request.auditPatientData || !request.principal || !request.routeKey) return next.handle();
    if (!this.writer) throw new Error(`route ${request.routeKey} reads patient data but this service has no access audit`);
    const writer = this.writer;
    const successStatus = (Reflect.getMetadata(HTTP_CODE_METADATA, execution.getHandler()) as number | undefined) ?? (request.method === 'POST' ? 201 : 200);
    const entry = (status: number, records: number | undefined): AccessAuditEntry => ({
      principal: request.principal as Principal,
      method: request.method,
      route: request.routeKey as string,
      params: auditableParams({ ...(request.params ?? {}), ...(request.query ?? {}) }),
      status,
      records,
      correlationId: currentCorrelationId(),
      remoteAddress: request.socket?.remoteAddress,
    });
    return next.handle().pipe(
      mergeMap((body: unknown) => from(writer.record(entry(successStatus, recordsIn(body))).then(() => body))),
      catchError((error: unknown) => {
        if (error instanceof HttpException) return from(writer.record(entry(error.getStatus(), 0))).pipe(mergeMap(() => throwError(() => error)));
        return throwError(() => error);
      }),
    );
  }
}
