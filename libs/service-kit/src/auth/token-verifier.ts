import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { ClaimNames, principalFromClaims } from './claims';
import { Principal } from './principal';

/** How access tokens are checked (from the OIDC_* variables). */
export interface OidcSettings {
  /** The identity provider's issuer URL; tokens must carry exactly this `iss`. */
  issuer: string;
  /** The `aud` every token must include. */
  audience: string;
  /** The signing keys; default: `jwks_uri` from the issuer's discovery document. */
  jwksUrl?: string;
  clockToleranceSeconds: number;
  /** Signature algorithms accepted (never `none`, never HMAC with a public key). */
  algorithms: string[];
  claims: ClaimNames;
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; status: 401 | 503; reason: string };

const TIMEOUT_MS = 3000;

/** Why jose refused a token, in words a caller's developer can act on; undefined for our own trouble. */
function refusalReason(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'the token was issued by another identity provider';
    if (error.claim === 'aud') return 'the token is not meant for slidecharge (audience)';
    return `the token's ${error.claim} claim is not acceptable (${error.reason})`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'the token is signed with a key the identity provider does not publish';
  if (error instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not accepted';
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid || error instanceof errors.JOSENotSupported) return 'the token is not a valid JWT';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'the token names an ambiguous signing key';
  return undefined;
}

/**
 * Checks bearer tokens with `jose` against the identity provider's published keys (discovered from
 * the issuer, fetched once and refreshed when a token names an unknown key).
 */
export class OidcTokenVerifier {
  private keys: Promise<JWTVerifyGetKey> | undefined;
  private discovered: Promise<string> | undefined;

  constructor(private readonly settings: OidcSettings) {}

  async verify(token: string): Promise<TokenCheck> {
    let keys: JWTVerifyGetKey;
    try {
      keys = await this.signingKeys();
    } catch (error) {
      return { ok: false, status: 503, reason: `the identity provider cannot be reached to check the token (${(error as Error).message})` };
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: this.settings.algorithms,
        clockTolerance: this.settings.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
      });
      const principal = principalFromClaims(payload, this.settings.claims);
      return principal ? { ok: true, principal } : { ok: false, status: 401, reason: 'the token has no subject' };
    } catch (error) {
      const reason = refusalReason(error);
      if (reason) return { ok: false, status: 401, reason };
      return { ok: false, status: 503, reason: `the token could not be checked now (${(error as Error).message})` };
    }
  }

  /** Readiness: the discovery document and the signing keys answer. */
  async check(): Promise<{ issuer: string }> {
    const response = await fetch(await this.jwksUrl(), { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`the identity provider's keys answered ${response.status}`);
    return { issuer: this.settings.issuer };
  }

  private signingKeys(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.jwksUrl().then(
      (url) => createRemoteJWKSet(new URL(url), { timeoutDuration: TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 }),
      (error: unknown) => {
        this.keys = undefined; // try discovery again with the next token
        throw error;
      },
    );
    return this.keys;
  }

  /** The keys' URL: configured, or read once from the issuer's discovery document (again after a failure). */
  private jwksUrl(): Promise<string> {
    if (this.settings.jwksUrl) return Promise.resolve(this.settings.jwksUrl);
    this.discovered ??= this.discover().catch((error: unknown) => {
      this.discovered = undefined;
      throw error;
    });
    return this.discovered;
  }

  private async discover(): Promise<string> {
    const url = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`discovery at ${url} answered ${response.status}`);
    const document = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== this.settings.issuer) throw new Error(`discovery names issuer ${String(document.issuer)}, not ${this.settings.issuer}`);
    if (typeof document.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri');
    return document.jwks_uri;
  }
}
