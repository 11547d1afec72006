/**
 * Where a scan stands on the unmatched-scans work list (billing.scan.worklist_state), as SQL over the
 * columns of a scan and of the billing_slide row of its barcode (all NULL when no case holds the slide):
 *
 * - open: completed, no case holds the slide, nobody dismissed it;
 * - dismissed: completed, no case holds the slide, a person set it aside;
 * - matched: completed, a case holds the slide and took it after billing received the scan
 *   (billing_slide.assigned_at, kept across that case's later versions: the scan waited for it);
 * - NULL: not on the list (not completed, or its case already had the slide when the scan came).
 *
 * The state is stored, and every write that can change it sets it with this expression in the same
 * statement or the same transaction (billing.repository.ts: a scan report stored, a case's slides
 * replaced; the dismissal), so the list and its gauge read an index of the listed scans only.
 */
export interface WorklistStateColumns {
  /** The scan's status, received_at and dismissed_at. */
  status: string;
  receivedAt: string;
  dismissedAt: string;
  /** The barcode and assigned_at of the billing_slide row of the scan's slide (NULL when none). */
  heldBarcode: string;
  assignedAt: string;
}

export const worklistStateSql = (c: WorklistStateColumns): string =>
  `CASE WHEN ${c.status} IS DISTINCT FROM 'completed' THEN NULL
        WHEN ${c.heldBarcode} IS NULL AND ${c.dismissedAt} IS NULL THEN 'open'
        WHEN ${c.heldBarcode} IS NULL THEN 'dismissed'
        WHEN ${c.receivedAt} < ${c.assignedAt} THEN 'matched' END`;

/** The state of a stored scan `s` joined with its slide `sl` (the columns as billing.scan and billing.billing_slide name them). */
export const STORED_WORKLIST_STATE_SQL = worklistStateSql({
  status: 's.status',
  receivedAt: 's.received_at',
  dismissedAt: 's.dismissed_at',
  heldBarcode: 'sl.barcode',
  assignedAt: 'sl.assigned_at',
});
