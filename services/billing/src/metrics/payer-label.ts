/** The payer label's value for every payer after the first `limit` seen. */
export const OTHER_PAYERS = 'other';

/**
 * Caps the cardinality of the `payer` label of slidecharge_charges_posted_total: the first `limit`
 * payer ids (plan or payer codes, never a person) a process sees keep their own label, every later one
 * is counted under `other`. Per process: after a restart the first `limit` seen again get their names.
 */
export class PayerLabels {
  private readonly seen = new Set<string>();

  constructor(private readonly limit = 50) {}

  labelOf(payerId: string): string {
    if (this.seen.has(payerId)) return payerId;
    if (this.seen.size >= this.limit) return OTHER_PAYERS;
    this.seen.add(payerId);
    return payerId;
  }
}
