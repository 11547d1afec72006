/** A charge's state in billing.charge (every change is audited in billing.charge_audit). */
export type StoredChargeStatus = 'held' | 'posted' | 'do-not-send' | 'voided' | 'credited';
/** The states in which a charge still stands (at most one per chargeKey). */
export const LIVE_STATUSES: readonly StoredChargeStatus[] = ['held', 'posted', 'do-not-send'];
