/**
 * How the outbox relay cuts and sends its batches. Pure: the sending is a function it is given.
 */

export interface DeliveryOutcome<R> {
  /** Accepted by the broker. */
  published: R[];
  /** Refused by the broker for good, each with the refusal. */
  parked: { record: R; refusal: string }[];
  /** Not sent because of an error worth retrying (broker down...): these, and the error. */
  failed?: { records: R[]; error: unknown };
}

/**
 * Sends `records` as one batch; when the broker refuses the batch for good (`refusalOf` says so),
 * splits it in halves and sends each, down to the single records it refuses, which are parked. The
 * order of what is sent is kept. An error worth retrying stops the delivery: what is left is `failed`.
 */
export async function deliverSplitting<R>(
  records: readonly R[],
  send: (batch: readonly R[]) => Promise<void>,
  refusalOf: (error: unknown) => string | undefined,
): Promise<DeliveryOutcome<R>> {
  const outcome: DeliveryOutcome<R> = { published: [], parked: [] };
  const pending: (readonly R[])[] = [records];
  while (pending.length > 0) {
    const batch = pending.shift() as readonly R[];
    if (batch.length === 0) continue;
    try {
      await send(batch);
      outcome.published.push(...batch);
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined) {
        outcome.failed = { records: [...batch, ...pending.flat()], error };
        return outcome;
      }
      if (batch.length === 1) {
        outcome.parked.push({ record: batch[0] as R, refusal });
      } else {
        const half = Math.ceil(batch.length / 2);
        pending.unshift(batch.slice(0, half), batch.slice(half));
      }
    }
  }
  return outcome;
}
