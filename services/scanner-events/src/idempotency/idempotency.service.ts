import { ConflictException, Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, UnprocessableEntityException } from '@nestjs/common';
import { Logger } from '@slidecharge/messaging';
import { CONFIG, LOGGER, ServiceConfig } from '../config';
import { Prisma } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { decide } from './idempotency';

/** How often expired keys are deleted. */
const SWEEP_INTERVAL_MS = 15 * 60_000;

export interface IdempotentRequest {
  clientId: string;
  key: string;
  fingerprint: string;
  method: string;
  path: string;
}

export type BeginOutcome = { kind: 'proceed' } | { kind: 'replay'; statusCode: number; body: unknown };

/** scanner.idempotency_key: reserve a key, store the answer, replay it, forget it after the TTL. */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log: Logger;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(CONFIG) private readonly config: ServiceConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'idempotency' });
  }

  onApplicationBootstrap(): void {
    this.sweeper = setInterval(() => void this.sweep().catch((err: unknown) => this.log.warn({ err }, 'idempotency key sweep failed')), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  private expiry(now: Date): Date {
    return new Date(now.getTime() + this.config.SCANNER_IDEMPOTENCY_TTL_HOURS * 3_600_000);
  }

  /**
   * Reserves the key for this request, or says what to do instead: replay the stored answer, or refuse
   * (422 for another request under the same key, 409 while the first one still runs). Concurrent first
   * requests are serialized by the primary key (client, key): exactly one of them proceeds.
   */
  async begin(request: IdempotentRequest): Promise<BeginOutcome> {
    const { clientId, key } = request;
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = new Date();
      const { count } = await this.prisma.idempotencyRecord.createMany({
        data: [{ clientId, key, requestHash: request.fingerprint, method: request.method, path: request.path, createdAt: now, expiresAt: this.expiry(now) }],
        skipDuplicates: true,
      });
      if (count === 1) return { kind: 'proceed' };
      const existing = await this.prisma.idempotencyRecord.findUnique({ where: { clientId_key: { clientId, key } } });
      if (!existing) continue; // expired and swept between the two statements
      const decision = decide(existing, request.fingerprint, now);
      if (decision.kind === 'replay') return decision;
      if (decision.kind === 'mismatch') {
        throw new UnprocessableEntityException({
          error: 'idempotency_key_reused',
          message:
            `Idempotency-Key "${key}" was first used at ${existing.createdAt.toISOString()} for ${existing.method} ${existing.path} with a different body; ` +
            'a retry must repeat the request exactly, and a new request needs a new key',
        });
      }
      if (decision.kind === 'in-progress') {
        throw new ConflictException({
          error: 'idempotency_in_progress',
          message: `a request with Idempotency-Key "${key}" is still being processed; retry in a few seconds to get its answer`,
        });
      }
      // take-over: the old record expired or its request died; claim it unless another request just did.
      const { count: claimed } = await this.prisma.idempotencyRecord.updateMany({
        where: { clientId, key, createdAt: existing.createdAt },
        data: {
          requestHash: request.fingerprint,
          method: request.method,
          path: request.path,
          statusCode: null,
          responseBody: Prisma.DbNull,
          createdAt: now,
          completedAt: null,
          expiresAt: this.expiry(now),
        },
      });
      if (claimed === 1) return { kind: 'proceed' };
    }
    throw new ConflictException({
      error: 'idempotency_in_progress',
      message: `another request with Idempotency-Key "${request.key}" took it at the same time; retry in a few seconds to get its answer`,
    });
  }

  /** Stores the answer of the request that holds the key. */
  async complete(request: IdempotentRequest, statusCode: number, body: unknown): Promise<void> {
    await this.prisma.idempotencyRecord.updateMany({
      where: { clientId: request.clientId, key: request.key, requestHash: request.fingerprint, statusCode: null },
      data: { statusCode, responseBody: (body ?? null) as Prisma.InputJsonValue, completedAt: new Date() },
    });
  }

  /** Frees the key after a request that failed (nothing to replay; the client may retry with it). */
  async release(request: IdempotentRequest): Promise<void> {
    await this.prisma.idempotencyRecord.deleteMany({
      where: { clientId: request.clientId, key: request.key, requestHash: request.fingerprint, statusCode: null },
    });
  }

  /** Deletes keys past their TTL; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    const { count } = await this.prisma.idempotencyRecord.deleteMany({ where: { expiresAt: { lt: now } } });
    if (count > 0) this.log.debug({ count }, 'expired idempotency keys deleted');
    return count;
  }
}
