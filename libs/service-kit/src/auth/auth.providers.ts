import { InjectionToken, Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Logger, SqlExecutor } from '@slidecharge/messaging';
import type { ReadinessCheck } from '../health';
import { ACCESS_AUDIT, AccessAuditInterceptor, sqlAccessAudit } from './access-audit';
import { ACCESS_CONTEXT, AccessContext, AccessGuard } from './access.guard';
import type { ServiceName } from './access-matrix';
import { AuthConfig, httpExposureOf, HttpExposure, oidcSettingsOf } from './auth.config';
import { ApiKeyAuthenticator, Authentication } from './authentication';
import { OidcTokenVerifier } from './token-verifier';

/** A service that takes API keys (scanner-events) provides its ApiKeyAuthenticator under this token. */
export const API_KEY_AUTHENTICATOR = Symbol('API_KEY_AUTHENTICATOR');
export const HTTP_EXPOSURE = Symbol('HTTP_EXPOSURE');

export interface AuthProvidersOptions {
  service: ServiceName;
  config: AuthConfig;
  logger: Logger;
  /** The service's database class (its Prisma client), for the access audit. */
  database: InjectionToken;
  /** The Postgres schema holding access_audit; required when a route of the service reads patient data. */
  accessAuditSchema?: string;
  /** Whether the service provides API_KEY_AUTHENTICATOR. */
  apiKeys: boolean;
  /** Paths that need no credential besides the health probes (no data; each still in the access matrix as anyone). */
  openPaths?: (path: string) => boolean;
}

/**
 * Everything that authenticates and authorizes a service's HTTP API: the OIDC token verifier, the
 * authentication middleware (wired before the body parser by createServiceApp), the global access
 * guard over ACCESS_MATRIX, and the access audit of patient-data routes.
 */
export function authProviders(options: AuthProvidersOptions): Provider[] {
  const exposure = httpExposureOf(options.config);
  const context: AccessContext = { service: options.service, metrics: exposure.metrics, logger: options.logger };
  return [
    { provide: HTTP_EXPOSURE, useValue: exposure },
    { provide: ACCESS_CONTEXT, useValue: context },
    { provide: OidcTokenVerifier, useValue: new OidcTokenVerifier(oidcSettingsOf(options.config)) },
    {
      provide: Authentication,
      inject: [OidcTokenVerifier, ...(options.apiKeys ? [API_KEY_AUTHENTICATOR] : [])],
      useFactory: (verifier: OidcTokenVerifier, apiKeys?: ApiKeyAuthenticator) =>
        new Authentication(
          verifier,
          apiKeys,
          exposure,
          {
            failuresPerMinute: options.config.HTTP_AUTH_FAILURES_PER_MINUTE,
            blockSeconds: options.config.HTTP_AUTH_BLOCK_SECONDS,
            requestsPerMinutePerClient: options.config.HTTP_REQUESTS_PER_MINUTE_PER_CLIENT,
          },
          options.logger.child({ component: 'authentication' }),
          options.openPaths,
        ),
    },
    {
      provide: ACCESS_AUDIT,
      inject: [options.database],
      useFactory: (database: SqlExecutor) => (options.accessAuditSchema ? sqlAccessAudit(database, options.accessAuditSchema) : null),
    },
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: AccessAuditInterceptor },
  ];
}

/** Readiness: the identity provider's keys can be fetched (tokens cannot be checked otherwise). */
export function identityProviderCheck(verifier: OidcTokenVerifier): ReadinessCheck {
  return { name: 'identity-provider', check: () => verifier.check() };
}

export type { HttpExposure };
