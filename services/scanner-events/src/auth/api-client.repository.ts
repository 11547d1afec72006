import { Injectable } from '@nestjs/common';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';

export type ApiClientRow = Prisma.ApiClientGetPayload<object>;

/** How often last_used_at is written at most: one UPDATE per key per minute, not one per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

/** created_by of a key made from configuration (SCANNER_DEV_API_KEY) rather than by a person. */
export const CONFIGURED_BY = 'config';

/** Reads and writes scanner.api_client. */
@Injectable()
export class ApiClientRepository {
  constructor(private readonly prisma: PrismaService) {}

  find(id: string): Promise<ApiClientRow | null> {
    return this.prisma.apiClient.findUnique({ where: { id } });
  }

  /** Newest first, revoked ones included (they say who sent what). */
  list(): Promise<ApiClientRow[]> {
    return this.prisma.apiClient.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  }

  /** Inserts a new client; false when the id is taken (the caller draws another id). */
  async insert(row: { id: string; name: string; secretHash: string; scopes: string[]; createdBy: string }): Promise<boolean> {
    const { count } = await this.prisma.apiClient.createMany({ data: [row], skipDuplicates: true });
    return count === 1;
  }

  /**
   * Makes or refreshes the configured development key: same id, the configured secret and scopes. A
   * revoked development key stays revoked (revocation is an operator's decision; the caller warns).
   */
  upsertConfigured(row: { id: string; name: string; secretHash: string; scopes: string[] }): Promise<ApiClientRow> {
    return this.prisma.apiClient.upsert({
      where: { id: row.id },
      create: { ...row, createdBy: CONFIGURED_BY },
      update: { name: row.name, secretHash: row.secretHash, scopes: row.scopes },
    });
  }

  /** Deletes the keys made from configuration (the development key): its variable is gone. */
  async deleteConfigured(): Promise<number> {
    return (await this.prisma.apiClient.deleteMany({ where: { createdBy: CONFIGURED_BY } })).count;
  }

  /** Sets revoked_at once; a second revoke leaves the first time and actor. */
  async revoke(id: string, by: string, at: Date): Promise<ApiClientRow | null> {
    await this.prisma.apiClient.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at, revokedBy: by } });
    return this.find(id);
  }

  /** Records a use, at most once per LAST_USED_RESOLUTION_MS. */
  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiClient.updateMany({
      where: { id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: new Date(at.getTime() - LAST_USED_RESOLUTION_MS) } }] },
      data: { lastUsedAt: at },
    });
  }
}
