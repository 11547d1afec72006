import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@slidecharge/messaging';
import { ApiKeyAuthenticator, Principal } from '@slidecharge/service-kit';
import { LOGGER } from '../config';
import { API_KEY_PREFIX, checkApiKey, parseApiKey } from './api-key';
import { ApiClientRepository, LAST_USED_RESOLUTION_MS } from './api-client.repository';

/** The principal of an accepted API key: a machine with the key's scopes and no role. */
export function apiKeyPrincipal(key: { clientId: string; name: string; scopes: readonly string[] }): Principal {
  return { kind: 'api-key', subject: `api-key:${key.clientId}`, displayName: key.name, clientId: key.clientId, roles: [], scopes: [...key.scopes] };
}

/**
 * Scanner-middleware API keys for the service kit's authentication middleware: one indexed lookup
 * by the key's public id, a constant-time check of its secret, and the last use recorded. The key's
 * scopes are checked per route by the access guard (ACCESS_MATRIX).
 */
@Injectable()
export class ApiKeyAuthentication implements ApiKeyAuthenticator {
  private readonly log: Logger;

  constructor(
    private readonly clients: ApiClientRepository,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'api-keys' });
  }

  looksLikeApiKey(value: string): boolean {
    return value.startsWith(`${API_KEY_PREFIX}_`);
  }

  async authenticate(key: string): Promise<Principal | undefined> {
    const id = parseApiKey(key)?.id;
    const row = id ? await this.clients.find(id) : null;
    const checked = checkApiKey(key, row);
    if (!checked.ok) {
      // The key id is public (shown in key lists); the secret never appears in a log line.
      this.log.warn({ keyId: id, reason: checked.reason }, 'API key refused');
      return undefined;
    }
    // last_used_at is kept to the minute: the row just read says whether this use must be written.
    const now = new Date();
    if (!row?.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) await this.clients.touch(checked.key.clientId, now);
    return apiKeyPrincipal(checked.key);
  }
}
