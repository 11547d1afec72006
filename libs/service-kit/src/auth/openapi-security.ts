import type { OpenAPIObject } from '@nestjs/swagger';
import { ACCESS_MATRIX, RouteAccess, RouteKey, ServiceName, smartScopeExample } from './access-matrix';

type Operation = { security?: Record<string, string[]>[]; description?: string; responses?: Record<string, unknown> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const ERROR_BODY = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' } },
  required: ['error', 'message'],
};

function securityOf(access: RouteAccess): Record<string, string[]>[] {
  switch (access.who) {
    case 'anyone':
      return [];
    case 'scanner-client':
      return access.orRoles ? [{ 'api-key': [] }, { oidc: [] }] : [{ 'api-key': [] }];
    case 'signed-in':
      return [{ oidc: access.smart ? [smartScopeExample(access.smart)] : [] }];
    case 'metrics':
      return [{ oidc: [] }, {}];
  }
}

function accessText(access: RouteAccess): string {
  switch (access.who) {
    case 'anyone':
      return 'Access: no credential needed.';
    case 'scanner-client':
      return `Access: an API key with scope ${access.keyScope}${access.orRoles ? `, or a bearer token with role ${access.orRoles.join(' or ')}` : ''}.`;
    case 'signed-in':
      return `Access: a bearer token with role ${access.roles.join(' or ')}${access.smart ? ` and scope ${smartScopeExample(access.smart)}` : ''}.${access.patientData ? ' Each call is recorded in the access audit.' : ''}`;
    case 'metrics':
      return `Access: HTTP_METRICS decides (open, or a bearer token with role ${access.roles.join(' or ')}).`;
  }
}

/** `/charges/{chargeId}/release` + post -> `POST /charges/:chargeId/release`. */
function routeKeyOf(path: string, method: string): RouteKey {
  return `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}` as RouteKey;
}

/**
 * Writes the access matrix into a service's OpenAPI document: the security schemes (OpenID Connect
 * bearer tokens; API keys for scanner-events), each operation's security requirement, its access
 * line, and its 401/403 answers. The matrix stays the one source; the document shows it.
 */
export function applyAccessToOpenApi(document: OpenAPIObject, service: ServiceName): OpenAPIObject {
  document.components = document.components ?? {};
  document.components.securitySchemes = {
    oidc: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "An access token from the hospital's OpenID Connect identity provider (OIDC_ISSUER); roles in OIDC_ROLES_CLAIM." },
    ...(service === 'scanner-events' ? { 'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'A scanner-middleware API key (sck_<id>_<secret>); "Authorization: Bearer <key>" is accepted too.' } } : {}),
  };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = (item as Record<string, Operation | undefined>)[method];
      if (!operation) continue;
      const access = ACCESS_MATRIX[service][routeKeyOf(path, method)];
      if (!access) continue;
      operation.security = securityOf(access);
      operation.description = [operation.description, accessText(access)].filter(Boolean).join('\n\n');
      if (access.who === 'anyone') continue;
      operation.responses = {
        ...operation.responses,
        '401': { description: 'No credential, or one that is not valid (expired, wrong issuer or audience, bad signature, unknown API key).', content: { 'application/json': { schema: ERROR_BODY } } },
        '403': { description: 'The credential is valid but lacks the role or scope this route needs.', content: { 'application/json': { schema: ERROR_BODY } } },
        '429': { description: 'Too many failed authentications from this address, or this caller is over its request budget.', content: { 'application/json': { schema: ERROR_BODY } } },
      };
    }
  }
  return document;
}
