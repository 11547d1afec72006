import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { Logger } from '@slidecharge/messaging';
import { CONFIG, LOGGER, ServiceConfig } from '../config';
import { generateApiKey, hashSecret, parseApiKey, Scope } from './api-key';
import { ApiClientRepository, ApiClientRow } from './api-client.repository';
import { ApiKeyView, CreatedApiKey } from './api-keys.api';

/** Scopes of the development key from SCANNER_DEV_API_KEY: everything a scanner client does, no key admin. */
export const DEV_KEY_SCOPES: readonly Scope[] = ['scan-events:write', 'scan-events:read', 'dicom:write'];

export function toApiKeyView(row: ApiClientRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as Scope[],
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedBy: row.revokedBy ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** API keys: the development key, and the admin operations (create, list, revoke). */
@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly log: Logger;

  constructor(
    private readonly clients: ApiClientRepository,
    @Inject(CONFIG) private readonly config: ServiceConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'api-keys' });
  }

  /**
   * Seeds the development key when SCANNER_DEV_API_KEY is set (only allowed with
   * SLIDECHARGE_ENV=development), loudly; removes it from the database when the variable is gone, so
   * a key that was once configured does not stay valid.
   */
  async onApplicationBootstrap(): Promise<void> {
    const devKey = this.config.SCANNER_DEV_API_KEY;
    if (!devKey) {
      const removed = await this.clients.deleteConfigured();
      if (removed > 0) this.log.warn({ removed }, 'SCANNER_DEV_API_KEY is not set: the development key stored earlier was deleted and is refused from now on');
      return;
    }
    const parsed = parseApiKey(devKey);
    if (!parsed) return; // config validation already refused it
    const row = await this.clients.upsertConfigured({
      id: parsed.id,
      name: 'development key (SCANNER_DEV_API_KEY)',
      secretHash: hashSecret(parsed.secret),
      scopes: [...DEV_KEY_SCOPES],
    });
    if (row.revokedAt) {
      this.log.warn({ keyId: row.id, revokedAt: row.revokedAt }, 'SCANNER_DEV_API_KEY names a revoked key: it stays revoked and is refused');
    } else {
      this.log.warn(
        { keyId: row.id, scopes: DEV_KEY_SCOPES },
        'SCANNER_DEV_API_KEY is set: this development key is accepted for scan events and DICOM; never set it in production',
      );
    }
  }

  /** Makes a key; the answer is the only place its secret ever appears. */
  async create(name: string, scopes: Scope[], createdBy: string): Promise<CreatedApiKey> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const key = generateApiKey();
      if (await this.clients.insert({ id: key.id, name, secretHash: hashSecret(key.secret), scopes, createdBy })) {
        const row = await this.clients.find(key.id);
        if (!row) break;
        this.log.info({ keyId: key.id, name, scopes, createdBy }, 'API key created');
        return { ...toApiKeyView(row), apiKey: key.key };
      }
    }
    throw new Error('could not store a new API key (id collisions)');
  }

  async list(): Promise<ApiKeyView[]> {
    return (await this.clients.list()).map(toApiKeyView);
  }

  async get(id: string): Promise<ApiKeyView | undefined> {
    const row = await this.clients.find(id);
    return row ? toApiKeyView(row) : undefined;
  }

  /** Revokes a key at once (every request looks its key up, so there is no cache to wait for). */
  async revoke(id: string, by: string): Promise<ApiKeyView | undefined> {
    const row = await this.clients.revoke(id, by, new Date());
    if (row) this.log.info({ keyId: id, revokedBy: by, revokedAt: row.revokedAt }, 'API key revoked');
    return row ? toApiKeyView(row) : undefined;
  }
}
