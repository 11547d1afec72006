import { Injectable } from '@nestjs/common';
import { DEFAULT_POLICY_SET, PolicySet, validatePolicySet } from '@slidecharge/billing-rules';
import { canonicalJson } from '@slidecharge/service-kit';
import type { Db } from '../charging/billing.repository';
import { PrismaService } from '../prisma.service';

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
 * is a new version, activating an older version rolls back. Billing reads the active set inside each
 * event's transaction, so an activation applies to the next event without a restart or a deploy.
 */
@Injectable()
export class PolicySetStore {
  /** Parsed documents by version (stored versions never change, so this never goes stale). */
  private readonly parsed = new Map<string, PolicySet>();

  constructor(private readonly prisma: PrismaService) {}

  /** The policy set in force. */
  async active(db: Db = this.prisma): Promise<PolicySet> {
    const rows = await db.$queryRawUnsafe<{ policy_version: string }[]>(
      `SELECT policy_version FROM billing.policy_activation ORDER BY id DESC LIMIT 1`,
    );
    const version = rows[0]?.policy_version;
    if (version === undefined) throw new Error('no payer policy set is active (billing stores the built-in one at start; was billing.policy_activation emptied?)');
    return this.byVersion(db, version);
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
