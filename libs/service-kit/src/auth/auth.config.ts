import { z } from 'zod';
import type { ExposureMode } from './access-decision';
import type { OidcSettings } from './token-verifier';

const unsetWhenEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema);
const exposure = unsetWhenEmpty(z.enum(['off', 'authenticated', 'open'], { error: 'must be off, authenticated or open' }).optional());
const count = (min: number, max: number, fallback: number) => unsetWhenEmpty(z.coerce.number({ error: 'must be a number' }).int().min(min).max(max).default(fallback));

/** Algorithms an access token may be signed with: asymmetric only (an HMAC key would be the public key). */
const SIGNING_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/**
 * Variables every service reads to authenticate callers (part of baseConfigSchema). People and
 * machines sign in with the hospital's OpenID Connect identity provider; see docs/security.md.
 */
export const authConfigShape = {
  /** The identity provider's issuer, e.g. https://sso.hospital.org/realms/lab (development: scripts/idp.sh env). */
  OIDC_ISSUER: z.url({ error: 'is required: the issuer URL of the identity provider (e.g. https://sso.hospital.org/realms/lab; development: bash scripts/idp.sh env)' }),
  OIDC_AUDIENCE: unsetWhenEmpty(z.string().trim().min(1).default('slidecharge-api')),
  /** Where the signing keys are; default: jwks_uri of the issuer's discovery document. */
  OIDC_JWKS_URL: unsetWhenEmpty(z.url().optional()),
  /** Dot path of the claim with the roles (billing-reviewer, ...), e.g. roles or realm_access.roles. */
  OIDC_ROLES_CLAIM: unsetWhenEmpty(z.string().trim().regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, 'a claim name or dot path').default('roles')),
  OIDC_USERNAME_CLAIM: unsetWhenEmpty(z.string().trim().min(1).default('preferred_username')),
  OIDC_CLOCK_TOLERANCE_SECONDS: count(0, 300, 30),
  OIDC_ALGORITHMS: unsetWhenEmpty(
    z
      .string()
      .default('RS256,PS256,ES256,EdDSA')
      .transform((s) => s.split(',').map((a) => a.trim()).filter(Boolean))
      .pipe(z.array(z.enum(SIGNING_ALGORITHMS, { error: `each must be one of ${SIGNING_ALGORITHMS.join(', ')}` })).min(1)),
  ),
  /** Swagger UI and OpenAPI document: off, authenticated (default in production) or open (default in development). */
  HTTP_DOCS: exposure,
  /** Prometheus metrics: off, authenticated (default in production: roles ops-viewer or service) or open (default in development). */
  HTTP_METRICS: exposure,
  /** Failed authentications from one address per minute before it is refused (429) for HTTP_AUTH_BLOCK_SECONDS. */
  HTTP_AUTH_FAILURES_PER_MINUTE: count(1, 100_000, 20),
  HTTP_AUTH_BLOCK_SECONDS: count(1, 86_400, 300),
  /** Requests one caller (token subject or API key) may make per minute before 429. */
  HTTP_REQUESTS_PER_MINUTE_PER_CLIENT: count(1, 10_000_000, 6000),
};

export interface AuthConfig {
  SLIDECHARGE_ENV: 'development' | 'production';
  OIDC_ISSUER: string;
  OIDC_AUDIENCE: string;
  OIDC_JWKS_URL?: string | undefined;
  OIDC_ROLES_CLAIM: string;
  OIDC_USERNAME_CLAIM: string;
  OIDC_CLOCK_TOLERANCE_SECONDS: number;
  OIDC_ALGORITHMS: string[];
  HTTP_DOCS?: ExposureMode | undefined;
  HTTP_METRICS?: ExposureMode | undefined;
  HTTP_AUTH_FAILURES_PER_MINUTE: number;
  HTTP_AUTH_BLOCK_SECONDS: number;
  HTTP_REQUESTS_PER_MINUTE_PER_CLIENT: number;
}

/** https, or http on this machine's loopback (nothing crosses a network). */
export function isSecureOrLoopbackUrl(text: string): boolean {
  const url = new URL(text);
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
}

/** What production refuses that development allows. */
export function authConfigProblems(config: AuthConfig): string[] {
  if (config.SLIDECHARGE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (!isSecureOrLoopbackUrl(config.OIDC_ISSUER)) problems.push('OIDC_ISSUER must be an https:// URL in production (SLIDECHARGE_ENV=production); http only on 127.0.0.1');
  if (config.OIDC_JWKS_URL && !isSecureOrLoopbackUrl(config.OIDC_JWKS_URL)) problems.push('OIDC_JWKS_URL must be an https:// URL in production; http only on 127.0.0.1');
  if (config.HTTP_DOCS === 'open') problems.push('HTTP_DOCS cannot be open in production: off or authenticated');
  if (config.HTTP_METRICS === 'open') problems.push('HTTP_METRICS cannot be open in production: off or authenticated');
  return problems;
}

export interface HttpExposure {
  docs: ExposureMode;
  metrics: ExposureMode;
}

export function httpExposureOf(config: AuthConfig): HttpExposure {
  const fallback: ExposureMode = config.SLIDECHARGE_ENV === 'production' ? 'authenticated' : 'open';
  return { docs: config.HTTP_DOCS ?? fallback, metrics: config.HTTP_METRICS ?? fallback };
}

export function oidcSettingsOf(config: AuthConfig): OidcSettings {
  return {
    issuer: config.OIDC_ISSUER,
    audience: config.OIDC_AUDIENCE,
    ...(config.OIDC_JWKS_URL ? { jwksUrl: config.OIDC_JWKS_URL } : {}),
    clockToleranceSeconds: config.OIDC_CLOCK_TOLERANCE_SECONDS,
    algorithms: config.OIDC_ALGORITHMS,
    claims: { roles: config.OIDC_ROLES_CLAIM, username: config.OIDC_USERNAME_CLAIM },
  };
}
