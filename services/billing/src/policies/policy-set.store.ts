import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DEFAULT_POLICY_SET, PolicySet, validatePolicySet } from '@slidecharge/billing-rules';
import { PgListener, SqlExecutor } from '@slidecharge/messaging';
import { canonicalJson, ServiceRuntime } from '@slidecharge/service-kit';
import { BILLING_CONFIG, BillingConfig } from '../config';
import { Db, PrismaService } from '../prisma.service';

/** The channel billing.policy_activation's insert trigger notifies (migration 0011), with the activation's id. */
export const POLICY_ACTIVATION_CHANNEL = 'billing_policy_activation';

/** The activation in force as this instance last saw it. */
interface ActiveSet {
  activationId: bigint;
  set: PolicySet;
}

/** Who stored the built-in policy set when billing first started on an empty database. */
export const BUILT_IN_AUTHOR = 'slidecharge (built-in default)';

export interface PolicySetInfo {
  policyVersion: string;
  createdAt: string;
  createdBy: string;
  comment: string;
  active: boolean;
  activations: { activatedAt: string; activatedBy: string; comment: string }[];
}

export class PolicySetInvalidError extends Error {
  constructor(readonly problems: string[]) {
    super(`the policy set is not usable: ${problems.join('; ')}`);
  }
}
export class PolicyVersionExistsError extends Error {
  constructor(readonly policyVersion: string) {
    super(`policy version ${policyVersion} exists already with a different content; a change needs a new policyVersion`);
  }
}
export class PolicyVersionUnknownError extends Error {
  constructor(readonly policyVersion: string) {
    super(`no policy set with version ${policyVersion}`);
  }
}

/**
 * Payer policy sets as versioned data in billing.policy_set, and which one is in force (the newest
 * row of billing.policy_activation). A set is validated before it is stored and never edited: a change
 * is a new version, activating an older version rolls back.
 *
 * The set in force is cached in memory with the id of its activation, and an activation never goes
 * unnoticed by an event decided after it, in this instance or any other:
 * - Every event transaction checks the cached activation id with one index-only read
 *   (`SELECT max(id)` on policy_activation's primary key, no row fetched), inside the transaction.
 *   It is the guarantee: an activation committed before that statement is seen, so the event is
 *   decided under it. One committed after it is concurrent with the event, which then serializes before
 *   the activation (the event reads and writes nothing the activation writes), and is still correct.
 * - The notification (trigger on policy_activation, channel billing_policy_activation, LISTENed on a
 *   connection of its own in every billing instance) refreshes the cache ahead of the next event:
 *   the set's document is read and validated outside any event transaction, so the check finds it
 *   cached and the event pays only the one read. When the notification connection is down, or a
 *   notification is lost, nothing is stale: the check reads the new set through in the transaction.
 * Why not skip the check while notifications arrive: a notification reaches another instance some
 * time after the activation commits, and an event that instance starts meanwhile would be decided under
 * the old set although it began after the activation. Only a read inside the event's transaction (or a
 * fence as costly) closes that window. With batched consumption the check is once per batch.
 */
@Injectable()
export class PolicySetStore implements OnModuleInit, OnApplicationShutdown {
  /** Parsed documents by version (stored versions never change, so this never goes stale). */
  private readonly parsed = new Map<string, PolicySet>();
  private current: ActiveSet | undefined;
  private readonly listener: PgListener;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(BILLING_CONFIG) config: BillingConfig,
    runtime: ServiceRuntime,
  ) {
    const logger = runtime.logger.child({ component: 'policy-sets' });
    this.listener = new PgListener({
      connection: config.DATABASE_URL,
      channels: [POLICY_ACTIVATION_CHANNEL],
      logger,
      onNotify: () => void this.refresh().catch((err: unknown) => logger.warn({ err }, 'could not read the policy set just activated; the next event reads it')),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.listener.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.listener.stop();
  }

  /** Whether activation notifications arrive now (the cache is refreshed ahead; correctness does not depend on it). */
  notificationsArriving(): boolean {
    return this.listener.listening;
  }

  /** The policy set in force: the cached one when its activation is still the newest (checked in `db`, the caller's transaction). */
  async active(db: SqlExecutor = this.prisma): Promise<PolicySet> {
    const rows = await db.$queryRawUnsafe<{ id: bigint | null }[]>(`SELECT max(id) AS id FROM billing.policy_activation`);
    const newest = rows[0]?.id ?? null;
    if (newest === null) throw new Error('no payer policy set is active (billing stores the built-in one at start; was billing.policy_activation emptied?)');
    const cached = this.current;
    if (cached && BigInt(cached.activationId) === BigInt(newest)) return cached.set;
    return (await this.load(this.prisma)).set;
  }

  /** Reads the newest activation and its set into the cache (on a notification: outside any event transaction). */
  async refresh(): Promise<PolicySet> {
    return (await this.load(this.prisma)).set;
  }

  private async load(db: Db): Promise<ActiveSet> {
    const row = await db.policyActivation.findFirst({ orderBy: { id: 'desc' }, select: { id: true, policyVersion: true } });
    if (!row) throw new Error('no payer policy set is active (billing stores the built-in one at start; was billing.policy_activation emptied?)');
    const loaded = { activationId: row.id, set: await this.byVersion(db, row.policyVersion) };
    // Kept only if no newer activation was cached meanwhile (a notification and an event may load at once).
    if (!this.current || this.current.activationId < loaded.activationId) this.current = loaded;
    return loaded;
  }

  private async byVersion(db: Db, version: string): Promise<PolicySet> {
    const cached = this.parsed.get(version);
    if (cached) return cached;
    const row = await db.policySet.findUnique({ where: { policyVersion: version } });
    if (!row) throw new PolicyVersionUnknownError(version);
    const problems = validatePolicySet(row.document);
    if (problems.length > 0) throw new PolicySetInvalidError(problems);
    const set = row.document as unknown as PolicySet;
    this.parsed.set(version, set);
    return set;
  }

  /** On first start (no activation at all), stores and activates the built-in policy set. Safe to race. */
  async ensureOne(): Promise<{ seeded: boolean; policyVersion: string }> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('billing:policy-seed'))`);
      const current = await tx.policyActivation.findFirst({ orderBy: { id: 'desc' } });
      if (current) return { seeded: false, policyVersion: current.policyVersion };
      const now = new Date();
      await tx.policySet.upsert({
        where: { policyVersion: DEFAULT_POLICY_SET.policyVersion },
        create: {
          policyVersion: DEFAULT_POLICY_SET.policyVersion,
          document: JSON.parse(JSON.stringify(DEFAULT_POLICY_SET)),
          createdAt: now,
          createdBy: BUILT_IN_AUTHOR,
          comment: 'the built-in policy set (libs/billing-rules DEFAULT_POLICY_SET), stored at first start',
        },
        update: {},
      });
      await tx.policyActivation.create({
        data: { policyVersion: DEFAULT_POLICY_SET.policyVersion, activatedAt: now, activatedBy: BUILT_IN_AUTHOR, comment: 'first start' },
      });
      return { seeded: true, policyVersion: DEFAULT_POLICY_SET.policyVersion };
    });
  }

  async list(): Promise<PolicySetInfo[]> {
    const rows = await this.prisma.policySet.findMany({ include: { activations: { orderBy: { id: 'asc' } } }, orderBy: { createdAt: 'asc' } });
    const active = await this.prisma.policyActivation.findFirst({ orderBy: { id: 'desc' } });
    return rows.map((r) => ({
      policyVersion: r.policyVersion,
      createdAt: r.createdAt.toISOString(),
      createdBy: r.createdBy,
      comment: r.comment,
      active: r.policyVersion === active?.policyVersion,
      activations: r.activations.map((a) => ({ activatedAt: a.activatedAt.toISOString(), activatedBy: a.activatedBy, comment: a.comment })),
    }));
  }

  async get(version: string): Promise<{ info: PolicySetInfo; policySet: PolicySet } | undefined> {
    const info = (await this.list()).find((i) => i.policyVersion === version);
    if (!info) return undefined;
    return { info, policySet: await this.byVersion(this.prisma, version) };
  }

  /**
   * Stores a new version after validating it, and activates it when asked. Storing the same version
   * with the same content again is a no-op (a retried request); with other content it is refused.
   */
  async create(input: { policySet: unknown; createdBy: string; comment: string; activate: boolean }): Promise<{ created: boolean; info: PolicySetInfo }> {
    const problems = validatePolicySet(input.policySet);
    if (problems.length > 0) throw new PolicySetInvalidError(problems);
    const set = input.policySet as PolicySet;
    const version = set.policyVersion;
    const created = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('billing:policy-seed'))`);
      const existing = await tx.policySet.findUnique({ where: { policyVersion: version } });
      if (existing && canonicalJson(existing.document) !== canonicalJson(set)) throw new PolicyVersionExistsError(version);
      const now = new Date();
      if (!existing) {
        await tx.policySet.create({
          data: { policyVersion: version, document: JSON.parse(JSON.stringify(set)), createdAt: now, createdBy: input.createdBy, comment: input.comment },
        });
      }
      const active = await tx.policyActivation.findFirst({ orderBy: { id: 'desc' } });
      if (input.activate && active?.policyVersion !== version) {
        await tx.policyActivation.create({ data: { policyVersion: version, activatedAt: now, activatedBy: input.createdBy, comment: input.comment } });
      }
      return !existing;
    });
    const info = (await this.list()).find((i) => i.policyVersion === version) as PolicySetInfo;
    return { created, info };
  }

  /** Puts a stored version in force (also an older one: a rollback). Activating the active one changes nothing. */
  async activate(version: string, activatedBy: string, comment: string): Promise<PolicySetInfo> {
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(hashtext('billing:policy-seed'))`);
      const exists = await tx.policySet.findUnique({ where: { policyVersion: version }, select: { policyVersion: true } });
      if (!exists) throw new PolicyVersionUnknownError(version);
      const active = await tx.policyActivation.findFirst({ orderBy: { id: 'desc' } });
      if (active?.policyVersion === version) return;
      await tx.policyActivation.create({ data: { policyVersion: version, activatedAt: new Date(), activatedBy, comment } });
    });
    return (await this.list()).find((i) => i.policyVersion === version) as PolicySetInfo;
  }
}
