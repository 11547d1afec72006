import { applyDecorators, CanActivate, ExecutionContext, HttpException, Injectable, SetMetadata, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiForbiddenResponse, ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { openApiSchema } from '@slidecharge/service-kit';
import { z } from 'zod';
import { credentialFrom, Principal, Scope } from './api-key';
import { ApiKeysService } from './api-keys.service';

const SCOPE_METADATA = 'scanner-events:required-scope';

/** A request after ApiKeyGuard let it through. */
export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

const AuthError = z.object({ error: z.string(), message: z.string() });

/**
 * Requires an API key with `scope` on a route (or every route of a controller): 401 without a valid,
 * unrevoked key, 403 when the key lacks the scope. The guard runs before pipes and handlers, so a
 * refused request stores and publishes nothing.
 */
export function RequireScope(scope: Scope) {
  return applyDecorators(
    SetMetadata(SCOPE_METADATA, scope),
    UseGuards(ApiKeyGuard),
    ApiHeader({
      name: 'X-API-Key',
      required: false,
      description: `API key (sck_<id>_<secret>) with scope ${scope}. "Authorization: Bearer <key>" is accepted instead.`,
    }),
    ApiUnauthorizedResponse({ description: 'No API key, an invalid one, or a revoked one.', schema: openApiSchema(AuthError, 'output') }),
    ApiForbiddenResponse({ description: `The key does not have scope ${scope}.`, schema: openApiSchema(AuthError, 'output') }),
  );
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeysService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_METADATA, [context.getHandler(), context.getClass()]);
    if (!scope) throw new Error('ApiKeyGuard on a route without RequireScope');
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const outcome = await this.keys.check(credentialFrom(request.headers), scope);
    if (outcome.ok) {
      request.principal = outcome.principal;
      return true;
    }
    const { status, error, message } = outcome.failure;
    if (status === 401) {
      http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('WWW-Authenticate', `Bearer realm="scanner-events", error="invalid_token"`);
    }
    throw new HttpException({ error, message }, status);
  }
}
