import { CanActivate, createParamDecorator, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@slidecharge/messaging';
import { decideAccess, ExposureMode } from './access-decision';
import { ACCESS_MATRIX, RouteAccess, RouteKey, ServiceName } from './access-matrix';
import type { Principal } from './principal';
import { routeKeysOf } from './route-key';

/** What the access guard needs to know about the service it guards. */
export interface AccessContext {
  service: ServiceName;
  metrics: ExposureMode;
  logger: Logger;
}
export const ACCESS_CONTEXT = Symbol('ACCESS_CONTEXT');

/** A request after the guard: who called, which route, and whether the call is audited. */
export interface GuardedRequest {
  principal?: Principal;
  routeKey?: RouteKey;
  auditPatientData?: boolean;
}

/** The access-matrix entry of a route of a service (undefined: not in the matrix). */
export function accessOf(service: ServiceName, key: RouteKey): RouteAccess | undefined {
  return ACCESS_MATRIX[service][key];
}

/**
 * Authorization for every route (a global guard): looks the route up in ACCESS_MATRIX and decides
 * with the principal the authentication middleware found. A route that is not in the matrix is
 * refused to everyone and logged as a fault, so a new controller cannot ship unguarded.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(@Inject(ACCESS_CONTEXT) private readonly context: AccessContext) {}

  canActivate(execution: ExecutionContext): boolean {
    const http = execution.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    const key = routeKeysOf(execution.getClass(), execution.getHandler())[0] as RouteKey;
    const access = accessOf(this.context.service, key);
    if (!access) this.context.logger.error({ route: key }, 'route missing from the access matrix: refused to everyone');
    const decision = decideAccess(access, request.principal, this.context.metrics);
    if (!decision.allowed) {
      const response = http.getResponse<{ setHeader(name: string, value: string): void }>();
      if (decision.status === 401) response.setHeader('WWW-Authenticate', 'Bearer realm="slidecharge"');
      if (decision.insufficientScope) response.setHeader('WWW-Authenticate', `Bearer realm="slidecharge", error="insufficient_scope", scope="${decision.insufficientScope}"`);
      throw new HttpException({ error: decision.error, message: decision.message }, decision.status);
    }
    request.routeKey = key;
    request.auditPatientData = decision.auditPatientData;
    return true;
  }
}

/** The caller of the current request (a route handler parameter); set for every guarded route but health. */
export const CurrentPrincipal = createParamDecorator((_: unknown, execution: ExecutionContext): Principal => {
  const principal = execution.switchToHttp().getRequest<GuardedRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal on a route that needs no credential');
  return principal;
});
