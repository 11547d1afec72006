import { Injectable } from '@nestjs/common';
import type { CaseTimeline, OpsServiceName, TimelineEntry } from '@slidecharge/contracts';
import { SlideBarcode } from '@slidecharge/contracts';
import { ProjectionRepository } from '../projection/projection.repository';
import type { Fetched } from '../overview/service-readings';
import { fetchJson } from '../upstream/fetched';
import { CallerHeaders, UpstreamService } from '../upstream/upstream.service';
import {
  billingEntries,
  CaseBillingRecord,
  caseVersionEntries,
  ChargeDetailRecord,
  chronological,
  deliveryEntries,
  DeliveryRecord,
  qcEntries,
  QcVerdictRecord,
  ScanReceipt,
  scanEntries,
} from './timeline-entries';

/** Most slides of one case whose scans and verdicts are read (each is two calls). */
const MAX_SLIDES = 50;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const listIn = <T>(key: string) => (body: unknown): T[] | undefined => (isObject(body) && Array.isArray(body[key]) ? (body[key] as T[]) : undefined);

type Missing = CaseTimeline['missing'];

/**
 * A case's story across the services, oldest first: case versions (the read model), slide scans
 * (scanner-events), QC verdicts (qc), decisions, charges, credits, actions and deliveries (billing), all
 * read under the caller's token. A source that fails is named in `missing`; the rest is shown.
 */
@Injectable()
export class TimelineService {
  constructor(
    private readonly upstream: UpstreamService,
    private readonly projection: ProjectionRepository,
  ) {}

  async timeline(accessionNumber: string, caller: CallerHeaders): Promise<CaseTimeline> {
    const missing: Missing = [];
    const [snapshot, billing, versions, traceIds] = await Promise.all([
      fetchJson(this.upstream, 'accession', ['cases', accessionNumber], {}, caller, (b) => (isObject(b) ? (b as { slides?: Array<{ barcode: string }> }) : undefined)),
      fetchJson(this.upstream, 'billing', ['cases', accessionNumber, 'billing'], {}, caller, (b) => (isObject(b) && isObject(b['case']) ? (b as unknown as CaseBillingRecord & { case: { slides?: Array<{ barcode: string }> } }) : undefined)),
      this.projection.caseVersions(accessionNumber),
      this.projection.chargeTraceIds(accessionNumber),
    ]);
    const entries: TimelineEntry[] = [...caseVersionEntries(versions)];
    note(missing, 'accession', snapshot);
    const barcodes = slideBarcodes(snapshot.ok ? snapshot.value.slides : billing.ok ? billing.value.case.slides : []);
    entries.push(...(await this.slideEntries(barcodes, caller, missing)));
    if (billing.ok) entries.push(...(await this.billingEntries(accessionNumber, billing.value, traceIds, caller, missing)));
    else note(missing, 'billing', billing);
    return { accessionNumber, entries: chronological(entries), missing };
  }

  private async slideEntries(barcodes: string[], caller: CallerHeaders, missing: Missing): Promise<TimelineEntry[]> {
    const perSlide = await Promise.all(
      barcodes.map(async (barcode) => {
        const [scans, verdicts] = await Promise.all([
          fetchJson(this.upstream, 'scanner-events', ['slides', barcode, 'scans'], {}, caller, listIn<ScanReceipt>('receipts')),
          fetchJson(this.upstream, 'qc', ['slides', barcode, 'qc'], {}, caller, listIn<QcVerdictRecord>('verdicts')),
        ]);
        return { scans, verdicts };
      }),
    );
    const entries: TimelineEntry[] = [];
    for (const { scans, verdicts } of perSlide) {
      if (scans.ok) entries.push(...scanEntries(scans.value));
      else note(missing, 'scanner-events', scans);
      if (verdicts.ok) entries.push(...qcEntries(verdicts.value));
      else note(missing, 'qc', verdicts);
    }
    return entries;
  }

  private async billingEntries(accessionNumber: string, billing: CaseBillingRecord, traceIds: Map<string, string>, caller: CallerHeaders, missing: Missing): Promise<TimelineEntry[]> {
    const [details, deliveries] = await Promise.all([
      Promise.all(billing.charges.map((c) => fetchJson(this.upstream, 'billing', ['charges', c.chargeId], {}, caller, (b) => (isObject(b) ? (b as unknown as ChargeDetailRecord) : undefined)))),
      fetchJson(this.upstream, 'billing', ['deliveries'], { accession: accessionNumber, limit: '500' }, caller, listIn<DeliveryRecord>('items')),
    ]);
    const byCharge = new Map<string, ChargeDetailRecord>();
    for (const d of details) if (d.ok) byCharge.set(d.value.chargeId, d.value);
    const failedDetail = details.find((d) => !d.ok);
    if (failedDetail) note(missing, 'billing', failedDetail);
    if (!deliveries.ok) note(missing, 'billing', deliveries);
    return [...billingEntries(billing, byCharge, traceIds), ...(deliveries.ok ? deliveryEntries(deliveries.value) : [])];
  }
}

/** Names a failed source once per distinct reason. */
function note(missing: Missing, service: OpsServiceName, fetched: Fetched<unknown>): void {
  if (fetched.ok || missing.some((m) => m.service === service && m.reason === fetched.problem)) return;
  missing.push({ service, reason: fetched.problem });
}

/** The case's slide barcodes that are safe to put in a URL path, at most MAX_SLIDES. */
function slideBarcodes(slides: ReadonlyArray<{ barcode: string }> | undefined): string[] {
  return [...new Set((slides ?? []).map((s) => s.barcode))].filter((b) => SlideBarcode.safeParse(b).success).slice(0, MAX_SLIDES);
}
