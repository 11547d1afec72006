import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '@slidecharge/messaging';
import { FHIR_JSON, fhirErrorOutcome, isFhirPath } from '../fhir-error-answer';
import type { HttpExposure } from './auth.config';
import { Credential, credentialOf } from './credential';
import type { Principal } from './principal';
import type { OidcTokenVerifier } from './token-verifier';

/** A service that also takes API keys (scanner-events) provides one of these. */
export interface ApiKeyAuthenticator {
  /** Cheap shape check: is this header value meant as an API key rather than a JWT? */
  looksLikeApiKey(value: string): boolean;
  /** The key's principal, or undefined when the key is unknown, wrong or revoked. */
  authenticate(key: string): Promise<Principal | undefined>;
}

export interface AuthenticationLimits {
  failuresPerMinute: number;
  blockSeconds: number;
  requestsPerMinutePerClient: number;
}

/** The few parts of an HTTP request and response the middleware touches (Express underneath). */
export interface AuthRequest {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socket: { remoteAddress?: string | undefined };
  principal?: Principal;
}
export interface AuthResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

type Outcome = { ok: true; principal: Principal } | { ok: false; status: 401 | 503; reason: string; error: string };

const pathOf = (url: string | undefined) => (url ?? '/').split('?')[0] as string;

/**
 * FHIR conformance resources and SMART discovery (billing): no patient data, and a SMART client reads
 * them before it has a token. Routes that do not exist under these paths answer 404.
 */
export function isFhirPublicPath(path: string): boolean {
  return path === '/fhir/metadata' || path === '/fhir/.well-known/smart-configuration' || /^\/fhir\/StructureDefinition\/[^/]+$/.test(path);
}

export function isDocsPath(path: string): boolean {
  return path === '/docs' || path.startsWith('/docs/') || path.startsWith('/docs-') || path === '/openapi.json';
}

/**
 * Authentication, done before the body is read: Express middleware registered ahead of the body
 * parser. Every request except health probes (and docs / metrics when configured open) needs a
 * valid credential, or gets 401 without anything else of it being read. Authorization by role
 * happens later, in the access guard, once the route is known.
 *
 * Throttling: an address with too many failed authentications in a minute gets 429 for a while;
 * an authenticated caller over its per-minute budget gets 429. Nothing of a credential is logged.
 */
export class Authentication {
  private readonly failures: RateLimiterMemory;
  private readonly perClient: RateLimiterMemory;

  constructor(
    private readonly verifier: OidcTokenVerifier,
    private readonly apiKeys: ApiKeyAuthenticator | undefined,
    private readonly exposure: HttpExposure,
    private readonly limits: AuthenticationLimits,
    private readonly log: Logger,
    /** Paths of the service's own that hold no data and need no credential (the ops console's web files). */
    private readonly openPaths: (path: string) => boolean = () => false,
  ) {
    this.failures = new RateLimiterMemory({ points: limits.failuresPerMinute, duration: 60, blockDuration: limits.blockSeconds });
    this.perClient = new RateLimiterMemory({ points: limits.requestsPerMinutePerClient, duration: 60 });
  }

  /** Paths that need no credential at all. */
  isPublic(path: string): boolean {
    if (path === '/health/live' || path === '/health/ready') return true;
    if (isFhirPublicPath(path)) return true;
    if (this.openPaths(path)) return true;
    if (this.exposure.metrics === 'open' && path === '/metrics') return true;
    return this.exposure.docs === 'open' && isDocsPath(path);
  }

  /** The Express middleware. */
  middleware(): (req: AuthRequest, res: AuthResponse, next: (error?: unknown) => void) => void {
    return (req, res, next) => {
      this.handle(req, res).then((proceed) => (proceed ? next() : undefined), next);
    };
  }

  private async handle(req: AuthRequest, res: AuthResponse): Promise<boolean> {
    const path = pathOf(req.url);
    if (this.isPublic(path)) return true;
    const address = req.socket.remoteAddress ?? 'unknown';
    const blocked = await this.failures.get(address);
    if (blocked && blocked.consumedPoints > this.limits.failuresPerMinute) {
      return this.refuse(res, path, 429, 'too_many_failures', 'too many failed authentications from this address; try again later', blocked.msBeforeNext);
    }
    const outcome = await this.authenticate(credentialOf(req.headers, (v) => this.apiKeys?.looksLikeApiKey(v) ?? false));
    if (!outcome.ok) {
      if (outcome.status === 401) await this.failures.consume(address).catch(() => undefined);
      this.log.warn({ remoteAddress: address, method: req.method, path, reason: outcome.reason }, 'authentication refused');
      return this.refuse(res, path, outcome.status, outcome.error, outcome.reason);
    }
    const overBudget = await this.perClient.consume(outcome.principal.subject).then(
      () => undefined,
      (limited: RateLimiterRes) => limited,
    );
    if (overBudget) return this.refuse(res, path, 429, 'too_many_requests', 'request budget of this caller used up for this minute', overBudget.msBeforeNext);
    if (isDocsPath(path) && outcome.principal.kind !== 'api-key' && outcome.principal.roles.length === 0) {
      return this.refuse(res, path, 403, 'forbidden', 'the API documentation needs a slidecharge role');
    }
    req.principal = outcome.principal;
    return true;
  }

  private async authenticate(credential: Credential): Promise<Outcome> {
    switch (credential.kind) {
      case 'none':
        return { ok: false, status: 401, error: 'unauthorized', reason: 'this route needs a bearer token from the identity provider (Authorization: Bearer <token>) or, for scanner routes, an API key' };
      case 'malformed':
        return { ok: false, status: 401, error: 'invalid_token', reason: credential.reason };
      case 'api-key': {
        const principal = this.apiKeys ? await this.apiKeys.authenticate(credential.key) : undefined;
        return principal ? { ok: true, principal } : { ok: false, status: 401, error: 'invalid_token', reason: 'unknown, wrong or revoked API key' };
      }
      case 'bearer': {
        const checked = await this.verifier.verify(credential.token);
        if (checked.ok) return checked;
        return { ok: false, status: checked.status, error: checked.status === 401 ? 'invalid_token' : 'temporarily_unavailable', reason: checked.reason };
      }
    }
  }

  /** A refusal in plain JSON, or under /fhir as an R4 OperationOutcome in application/fhir+json. */
  private refuse(res: AuthResponse, path: string, status: number, error: string, message: string, retryAfterMs?: number): false {
    const fhir = isFhirPath(path);
    res.statusCode = status;
    res.setHeader('Content-Type', fhir ? FHIR_JSON : 'application/json; charset=utf-8');
    if (status === 401) {
      const detail = error === 'unauthorized' ? '' : `, error="${error}", error_description="${message.replace(/["\\]/g, "'")}"`;
      res.setHeader('WWW-Authenticate', `Bearer realm="slidecharge"${detail}`);
    }
    if (retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    if (status === 503) res.setHeader('Retry-After', '5');
    res.end(JSON.stringify(fhir ? fhirErrorOutcome(status, message) : { error, message }));
    return false;
  }
}
