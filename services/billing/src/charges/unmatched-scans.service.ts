import { Injectable } from '@nestjs/common';
import { BillingRepository } from '../charging/billing.repository';
import { slideLockKey } from '../charging/facts';
import { PrismaService } from '../prisma.service';
import { encodeScanCursor } from './cursor';
import { UnmatchedScanState, UnmatchedScansPage, UnmatchedScansQuery, UnmatchedScanView } from './unmatched-scans.dto';

export class ScanNotFoundError extends Error {
  constructor(readonly scanId: string) {
    super(`no completed scan ${scanId}`);
  }
}

/** The scan is not open on the work list (a case took its slide, or someone dismissed it already). */
export class ScanStateError extends Error {}

interface Row {
  scan_id: string;
  slide_barcode: string;
  status: string;
  purpose: string;
  scanner_id: string;
  scanned_at: Date;
  source_event_id: string;
  received_at: Date;
  dismissed_at: Date | null;
  dismissed_by: string | null;
  dismissal_reason: string | null;
  matched_accession: string | null;
  state: UnmatchedScanState;
}

/** A completed scan to dismiss, with the case that holds its slide (if any). */
type DismissRow = Omit<Row, 'state' | 'matched_accession'> & { state: UnmatchedScanState | null; holder: string | null };

const HOUR_MS = 3_600_000;

/**
 * A completed scan on the work list, in the state billing keeps on write (scan.worklist_state: see
 * charging/worklist-state.ts). The slide's case is read only for the matched accession of matched scans.
 */
const COLUMNS_SQL = `s.scan_id, s.slide_barcode, s.status, s.purpose, s.scanner_id, s.scanned_at, s.source_event_id, s.received_at,
                     s.dismissed_at, s.dismissed_by, s.dismissal_reason, s.worklist_state AS state`;
const LISTED_SQL = `SELECT ${COLUMNS_SQL}, sl.accession_number AS matched_accession
                      FROM billing.scan s
                      LEFT JOIN billing.billing_slide sl ON s.worklist_state = 'matched' AND sl.barcode = s.slide_barcode
                     WHERE s.worklist_state IS NOT NULL`;

function toView(r: Row, now: Date): UnmatchedScanView {
  return {
    scanId: r.scan_id,
    slideBarcode: r.slide_barcode,
    status: r.status as UnmatchedScanView['status'],
    purpose: r.purpose as UnmatchedScanView['purpose'],
    scannerId: r.scanner_id,
    scannedAt: new Date(r.scanned_at).toISOString(),
    sourceEventId: r.source_event_id,
    receivedAt: new Date(r.received_at).toISOString(),
    state: r.state,
    waitingHours: Math.max(0, Math.floor((now.getTime() - new Date(r.received_at).getTime()) / HOUR_MS)),
    ...(r.state === 'matched' && r.matched_accession ? { matchedAccession: r.matched_accession } : {}),
    ...(r.dismissed_at && r.dismissed_by
      ? { dismissal: { by: r.dismissed_by, at: new Date(r.dismissed_at).toISOString(), reason: r.dismissal_reason ?? '' } }
      : {}),
  };
}

/** The unmatched-scans work list: scans no case has taken, newest first, and dismissing one with a reason. */
@Injectable()
export class UnmatchedScansService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly repository: BillingRepository,
  ) {}

  async list(query: UnmatchedScansQuery, now = new Date()): Promise<UnmatchedScansPage> {
    const params: unknown[] = [query.state];
    const where: string[] = [`s.worklist_state = $1`];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (query.scannerId !== undefined) add((p) => `s.scanner_id = ${p}`, query.scannerId);
    if (query.barcodePrefix !== undefined) add((p) => `left(s.slide_barcode, length(${p})) = ${p}`, query.barcodePrefix);
    if (query.receivedAfter !== undefined) add((p) => `s.received_at >= ${p}::timestamptz`, query.receivedAfter.toISOString());
    if (query.receivedBefore !== undefined) add((p) => `s.received_at < ${p}::timestamptz`, query.receivedBefore.toISOString());
    if (query.olderThanHours !== undefined) add((p) => `s.received_at <= ${p}::timestamptz`, new Date(now.getTime() - query.olderThanHours * HOUR_MS).toISOString());
    if (query.cursor !== undefined) {
      params.push(query.cursor.receivedAt, query.cursor.scanId);
      where.push(`(s.received_at, s.scan_id) < ($${params.length - 1}::timestamptz, $${params.length})`);
    }
    params.push(query.limit + 1);
    const rows = await this.prisma.$queryRawUnsafe<Row[]>(
      `${LISTED_SQL} AND ${where.join(' AND ')} ORDER BY s.received_at DESC, s.scan_id DESC LIMIT $${params.length}`,
      ...params,
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => toView(r, now)),
      ...(rows.length > query.limit && last ? { nextCursor: encodeScanCursor({ receivedAt: new Date(last.received_at).toISOString(), scanId: last.scan_id }) } : {}),
    };
  }

  /**
   * open -> dismissed, with who and why. Serialized with the case events of the slide (its lock): a
   * case that takes the slide first makes this a conflict; a case that takes it later still charges it
   * (the scan becomes matched).
   */
  async dismiss(scanId: string, actor: string, reason: string, now = new Date()): Promise<UnmatchedScanView> {
    return this.prisma.$transaction(async (tx) => {
      const scan = await tx.scan.findUnique({ where: { scanId }, select: { slideBarcode: true, status: true } });
      if (!scan || scan.status !== 'completed') throw new ScanNotFoundError(scanId);
      await this.repository.lock(tx, [slideLockKey(scan.slideBarcode)]);
      const [row] = await tx.$queryRawUnsafe<DismissRow[]>(
        `SELECT ${COLUMNS_SQL}, sl.accession_number AS holder
           FROM billing.scan s LEFT JOIN billing.billing_slide sl ON sl.barcode = s.slide_barcode
          WHERE s.scan_id = $1 AND s.status = 'completed'`,
        scanId,
      );
      if (!row) throw new ScanNotFoundError(scanId);
      if (row.state === 'dismissed') {
        throw new ScanStateError(`scan ${scanId} was dismissed already by ${row.dismissed_by} at ${new Date(row.dismissed_at as Date).toISOString()}: ${row.dismissal_reason}`);
      }
      if (row.state !== 'open') {
        throw new ScanStateError(`scan ${scanId} is not open: case ${row.holder} has slide ${row.slide_barcode}`);
      }
      await tx.scan.update({ where: { scanId }, data: { dismissedAt: now, dismissedBy: actor, dismissalReason: reason, worklistState: 'dismissed' } });
      return toView({ ...row, state: 'dismissed', matched_accession: null, dismissed_at: now, dismissed_by: actor, dismissal_reason: reason }, now);
    });
  }
}
