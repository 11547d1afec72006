import { Inject, Injectable } from '@nestjs/common';
import { Charge as ChargeRow, Credit as CreditRow } from '../generated/prisma/client';
import { PrismaService } from '../prisma.service';
import { chargeItemSourceFromRow, toChargeItem } from './charge-item';
import type { FhirSettings } from './fhir.config';
import { FHIR_SETTINGS } from './fhir-settings.provider';
import type { Bundle, ChargeItem } from './r4';
import { ChargeItemSearch, chargeWhere, pageWhere, searchBundle } from './search';
import { ExtensionUrls, extensionUrls } from './structure-definitions';

type Row = Omit<ChargeRow, 'trace'> & { credit: CreditRow | null };

/** Reads charges for the FHIR API: the mapping and the search rules are pure (charge-item.ts, search.ts). */
@Injectable()
export class FhirChargeItemService {
  private readonly urls: ExtensionUrls;

  constructor(
    private readonly prisma: PrismaService,
    @Inject(FHIR_SETTINGS) settings: FhirSettings,
  ) {
    this.urls = extensionUrls(settings.canonicalBase);
  }

  /** The ChargeItem of a charge id, or undefined. */
  async read(chargeId: string): Promise<ChargeItem | undefined> {
    const row = await this.prisma.charge.findUnique({ where: { chargeId }, omit: { trace: true }, include: { credit: true } });
    if (!row) return undefined;
    const [item] = await this.toChargeItems([row]);
    return item;
  }

  /** One page of a search, oldest decision first, with the total of every match. */
  async search(search: ChargeItemSearch, base: string): Promise<Bundle> {
    const [total, rows] = await Promise.all([
      this.prisma.charge.count({ where: chargeWhere(search) }),
      search.count === 0
        ? Promise.resolve([] as Row[])
        : this.prisma.charge.findMany({
            where: pageWhere(search),
            orderBy: [{ createdAt: 'asc' }, { chargeId: 'asc' }],
            take: search.count + 1,
            omit: { trace: true },
            include: { credit: true },
          }),
    ]);
    const page = rows.slice(0, search.count);
    const last = page[page.length - 1];
    return searchBundle({
      base,
      search,
      total,
      resources: await this.toChargeItems(page),
      ...(rows.length > search.count && last ? { next: { createdAt: last.createdAt.toISOString(), chargeId: last.chargeId } } : {}),
    });
  }

  /**
   * Maps rows, with the audit line of each voided one (who voided it and why) and the re-charge of each
   * credited one (the charge that replaces it), each read in one query.
   */
  private async toChargeItems(rows: Row[]): Promise<ChargeItem[]> {
    const voidedIds = rows.filter((r) => r.status === 'voided').map((r) => r.chargeId);
    const creditedIds = rows.filter((r) => r.status === 'credited').map((r) => r.chargeId);
    const [voids, recharges] = await Promise.all([
      voidedIds.length === 0
        ? []
        : this.prisma.chargeAudit.findMany({ where: { chargeId: { in: voidedIds }, toStatus: 'voided' }, orderBy: { id: 'asc' } }),
      creditedIds.length === 0
        ? []
        : this.prisma.charge.findMany({
            where: { replacesChargeId: { in: creditedIds } },
            select: { chargeId: true, replacesChargeId: true },
            orderBy: [{ createdAt: 'asc' }, { chargeId: 'asc' }],
          }),
    ]);
    const voidOf = new Map(voids.map((v) => [v.chargeId, { actor: v.actor, reason: v.reason, at: v.at }]));
    const replacedBy = new Map<string, string[]>();
    for (const r of recharges) if (r.replacesChargeId) replacedBy.set(r.replacesChargeId, [...(replacedBy.get(r.replacesChargeId) ?? []), r.chargeId]);
    return rows.map((row) => toChargeItem(chargeItemSourceFromRow(row, voidOf.get(row.chargeId), replacedBy.get(row.chargeId)), this.urls));
  }
}
