import { Injectable } from '@nestjs/common';
import { addOnCodeTableFor, explainNoCharge } from '@slidecharge/billing-rules';
import { BillingRepository } from '../charging/billing.repository';
import { chargeFromRow, storedStatus } from '../charge/charge-row';
import { Charge as ChargeRow, ChargeAudit, Credit as CreditRow, Prisma, Scan as ScanRow } from '../generated/prisma/client';
import { PolicySetStore } from '../policies/policy-set.store';
import { isoDateOf, PrismaService } from '../prisma.service';
import { AuditEntryView, CaseBillingView, ChargePage, ChargeSummary, ChargeView, ListChargesQuery, ReviewQueueQuery, ReviewQueueView, ScanView } from './charges.dto';
import { encodeCursor } from './cursor';
import { LIVE_STATUSES } from '../charge/charge-status';

type ChargeSummaryRow = Omit<ChargeRow, 'trace'> & { credit?: CreditRow | null };

export function toSummary(row: ChargeSummaryRow): ChargeSummary {
  const { trace: _trace, ...payload } = chargeFromRow(row);
  return {
    ...payload,
    status: storedStatus(row),
    generation: row.generation,
    statusChangedAt: row.statusChangedAt.toISOString(),
    holdReasons: row.holdReasons as ChargeSummary['holdReasons'],
    refusedModifiers: row.refusedModifiers as ChargeSummary['refusedModifiers'],
    ...(row.traceId ? { traceId: row.traceId } : {}),
    ...(row.credit ? { credit: toCreditView(row.credit) } : {}),
  };
}

function toCreditView(row: CreditRow): NonNullable<ChargeSummary['credit']> {
  return {
    creditId: row.creditId,
    reason: row.reason,
    detail: row.detail,
    creditedAt: row.createdAt.toISOString(),
    ...(row.traceId ? { traceId: row.traceId } : {}),
  };
}

export function toAuditView(row: ChargeAudit): AuditEntryView {
  return {
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action as AuditEntryView['action'],
    fromStatus: row.fromStatus as AuditEntryView['fromStatus'],
    toStatus: row.toStatus as AuditEntryView['toStatus'],
    reason: row.reason,
    eventId: row.eventId,
  };
}

function toScanView(row: Omit<ScanRow, 'dismissedAt' | 'dismissedBy' | 'dismissalReason'>): ScanView {
  return {
    scanId: row.scanId,
    slideBarcode: row.slideBarcode,
    status: row.status as ScanView['status'],
    purpose: row.purpose as ScanView['purpose'],
    scannerId: row.scannerId,
    scannedAt: row.scannedAt.toISOString(),
    sourceEventId: row.sourceEventId,
    receivedAt: row.receivedAt.toISOString(),
  };
}

/** What billing staff read: charges, a case's billing picture with reasons, and unmatched scans. */
@Injectable()
export class BillingQueryService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repository: BillingRepository,
    private readonly policies: PolicySetStore,
  ) {}

  async listCharges(query: ListChargesQuery): Promise<ChargePage> {
    const where: Prisma.ChargeWhereInput[] = [];
    if (query.accession) where.push({ accessionNumber: query.accession });
    if (query.status) where.push({ status: query.status });
    if (query.since) where.push({ createdAt: { gte: query.since } });
    if (query.cursor) {
      const after = new Date(query.cursor.createdAt);
      // The bound on createdAt alone lets the index scan start at the cursor (docs/benchmarks.md, History).
      where.push({ createdAt: { gte: after } });
      where.push({ OR: [{ createdAt: { gt: after } }, { chargeId: { gt: query.cursor.chargeId } }] });
    }
    const rows = await this.prisma.charge.findMany({
      where: { AND: where },
      orderBy: [{ createdAt: 'asc' }, { chargeId: 'asc' }],
      take: query.limit + 1,
      omit: { trace: true },
      include: { credit: true },
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      items: page.map(toSummary),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), chargeId: last.chargeId }) : null,
    };
  }

  async charge(chargeId: string): Promise<ChargeView | undefined> {
    const row = await this.prisma.charge.findUnique({ where: { chargeId }, include: { credit: true } });
    if (!row) return undefined;
    const audit = await this.prisma.chargeAudit.findMany({ where: { chargeId }, orderBy: { id: 'asc' } });
    return { ...toSummary(row), trace: row.trace as ChargeView['trace'], audit: audit.map(toAuditView) };
  }

  /** Held charges, oldest first: the billing staff's work list. */
  async reviewQueue(query: ReviewQueueQuery): Promise<ReviewQueueView> {
    const where: Prisma.ChargeWhereInput = { status: 'held', ...(query.payer ? { payerId: { equals: query.payer, mode: 'insensitive' } } : {}) };
    const [rows, total] = await Promise.all([
      this.prisma.charge.findMany({ where, orderBy: [{ createdAt: 'asc' }, { chargeId: 'asc' }], take: query.limit, omit: { trace: true } }),
      this.prisma.charge.count({ where }),
    ]);
    return { items: rows.map(toSummary), total };
  }

  /**
   * The case as billing holds it, every scan of its slides with QC verdicts, its charges, and why each
   * specimen earns no (new) charge, from the same rules and facts the event handlers use.
   */
  async caseBilling(accessionNumber: string): Promise<CaseBillingView | undefined> {
    const billingCase = await this.prisma.billingCase.findUnique({
      where: { accessionNumber },
      include: { specimens: { orderBy: { specimenId: 'asc' }, include: { slides: { orderBy: { barcode: 'asc' } } } } },
    });
    if (!billingCase) return undefined;
    const [loaded] = await this.repository.loadCases(this.prisma, [accessionNumber]);
    const slides = billingCase.specimens.flatMap((s) => s.slides);
    const scans = await this.prisma.scan.findMany({
      where: { slideBarcode: { in: slides.map((s) => s.barcode) } },
      orderBy: [{ scannedAt: 'asc' }, { scanId: 'asc' }],
    });
    const qc = await this.prisma.qcOutcome.findMany({
      where: { scanId: { in: scans.map((s) => s.scanId) } },
      orderBy: [{ recordedAt: 'asc' }, { sourceEventId: 'asc' }],
    });
    const charges = await this.prisma.charge.findMany({
      where: { accessionNumber },
      orderBy: [{ specimenId: 'asc' }, { code: 'asc' }, { generation: 'asc' }],
      omit: { trace: true },
      include: { credit: true },
    });
    const policy = await this.policies.active();
    const explanations = loaded
      ? explainNoCharge({
          case: loaded.facts,
          scans: loaded.scans,
          qcResults: loaded.qcResults,
          existingChargeKeys: loaded.charges.filter((c) => LIVE_STATUSES.includes(c.status)).map((c) => c.chargeKey),
          policy: { requireQcPass: policy.requireQcPass, billablePurposes: policy.billablePurposes, addOnCodes: addOnCodeTableFor(policy) },
        })
      : [];
    return {
      case: {
        accessionNumber: billingCase.accessionNumber,
        version: billingCase.version,
        status: billingCase.status === 'cancelled' ? 'cancelled' : 'active',
        patientId: billingCase.patientId,
        payerId: billingCase.payerId,
        collectionDate: isoDateOf(billingCase.collectionDate),
        diagnoses: billingCase.diagnoses,
        flags: billingCase.flags as Record<string, boolean>,
        updatedAt: billingCase.updatedAt.toISOString(),
        specimens: billingCase.specimens.map((s) => ({
          specimenId: s.specimenId,
          primaryCpt: s.primaryCpt,
          units: s.units,
          modifiers: s.modifiers,
          diagnosisPointers: s.diagnosisPointers,
          ...(s.retrievedFromStorageDate ? { retrievedFromStorageDate: isoDateOf(s.retrievedFromStorageDate) } : {}),
        })),
        slides: slides.map((s) => ({ barcode: s.barcode, specimenId: s.specimenId })),
      },
      scans: scans.map((s) => ({
        ...toScanView(s),
        qc: qc
          .filter((q) => q.scanId === s.scanId)
          .map((q) => ({
            sourceEventId: q.sourceEventId,
            passed: q.passed,
            reasons: q.reasons,
            rulesVersion: q.rulesVersion,
            recordedAt: q.recordedAt.toISOString(),
          })),
      })),
      charges: charges.map(toSummary),
      explanations: explanations.map((e) => ({ ...e, trace: [...e.trace] })),
      policy: {
        policyVersion: policy.policyVersion,
        requireQcPass: policy.requireQcPass,
        billablePurposes: [...policy.billablePurposes],
        requireDigitalSignOut: policy.requireDigitalSignOut,
      },
    };
  }
}
