/**
 * How a consumer applies a batch so that one bad message does not fail its neighbours. Pure: applying
 * a slice (one database transaction) and dealing with a message that fails alone are functions it is
 * given.
 */

export interface SplittingSteps<I> {
  /** Applies a slice of the items, in one transaction; throws when the transaction fails. */
  apply: (slice: readonly I[]) => Promise<void>;
  /**
   * What to do with an item whose one-item slice failed with `error`: retry it, dead-letter it. Returns
   * once the item is dealt with (applied or dead-lettered); throws to stop everything (consumer stopping).
   */
  isolate: (item: I, error: unknown) => Promise<void>;
  /** Called after each slice is dealt with, in order: everything up to its last item is done. */
  done?: (slice: readonly I[]) => void;
  /** Called when a slice of more than one item fails, before it is split. */
  splitting?: (slice: readonly I[], error: unknown) => void;
}

/**
 * Applies `items` in order in as few slices as it can: the whole first; when a slice fails, its two
 * halves one after the other (the first half wholly dealt with before the second is tried), down to
 * single items, which go to `isolate`. So a poison message costs about 2·log2(n) extra transactions,
 * its neighbours are applied, and the order of the items is kept (what per-key ordering needs).
 */
export async function applySplitting<I>(items: readonly I[], steps: SplittingSteps<I>): Promise<void> {
  if (items.length === 0) return;
  try {
    await steps.apply(items);
  } catch (error) {
    if (items.length === 1) {
      await steps.isolate(items[0] as I, error);
    } else {
      steps.splitting?.(items, error);
      const [first, second] = halves(items);
      await applySplitting(first, steps);
      await applySplitting(second, steps);
      return;
    }
  }
  steps.done?.(items);
}

/** The two halves of a list of two or more items (the first is the smaller when the count is odd). */
export function halves<I>(items: readonly I[]): [I[], I[]] {
  const middle = Math.floor(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}

/** Cuts a list into consecutive chunks of at most `size` items, in order. */
export function chunked<I>(items: readonly I[], size: number): I[][] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunk size must be a positive integer, got ${size}`);
  const chunks: I[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * The first of each event id, in order, and the repeats. A batch may carry one event twice (the relay
 * published it again after a crash); the inbox takes the first, and the repeats count as duplicates.
 */
export function firstOfEachId<I>(items: readonly I[], idOf: (item: I) => string): { firsts: I[]; repeats: I[] } {
  const seen = new Set<string>();
  const firsts: I[] = [];
  const repeats: I[] = [];
  for (const item of items) {
    const id = idOf(item);
    if (seen.has(id)) repeats.push(item);
    else {
      seen.add(id);
      firsts.push(item);
    }
  }
  return { firsts, repeats };
}
