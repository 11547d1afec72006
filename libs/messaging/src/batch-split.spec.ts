import { applySplitting, chunked, firstOfEachId, halves } from './batch-split';

/** A run of applySplitting over numbers where the items in `poison` make any slice holding them fail. */
async function run(items: number[], poison: Set<number>) {
  const applied: number[][] = [];
  const attempts: number[][] = [];
  const isolated: number[] = [];
  const done: number[] = [];
  const splits: number[][] = [];
  await applySplitting(items, {
    apply: async (slice) => {
      attempts.push([...slice]);
      if (slice.some((i) => poison.has(i))) throw new Error(`poison in ${slice.join(',')}`);
      applied.push([...slice]);
    },
    isolate: async (item, error) => {
      expect((error as Error).message).toBe(`poison in ${item}`);
      isolated.push(item);
    },
    done: (slice) => done.push(slice[slice.length - 1] as number),
    splitting: (slice) => splits.push([...slice]),
  });
  return { applied, attempts, isolated, done, splits };
}

describe('applySplitting', () => {
  it('applies a batch that goes through in one slice', async () => {
    const r = await run([1, 2, 3, 4], new Set());
    expect(r.attempts).toEqual([[1, 2, 3, 4]]);
    expect(r.done).toEqual([4]);
    expect(r.isolated).toEqual([]);
  });

  it('isolates a poison message in the middle and applies every neighbour once, in order', async () => {
    const items = Array.from({ length: 10 }, (_, i) => i + 1);
    const r = await run(items, new Set([6]));
    expect(r.isolated).toEqual([6]);
    expect(r.applied.flat()).toEqual([1, 2, 3, 4, 5, 7, 8, 9, 10]);
    // Done marks move forward only, and never past the poison before it is dealt with.
    expect(r.done).toEqual([...r.done].sort((a, b) => a - b));
    expect(r.done[r.done.length - 1]).toBe(10);
    expect(r.done.indexOf(6)).toBeGreaterThan(-1);
    expect(r.done.filter((d) => d >= 6)[0]).toBe(6);
    // About 2·log2(n) transactions, not one per message.
    expect(r.attempts.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(items.length)) + 1);
  });

  it('isolates several poison messages, the first and the last included', async () => {
    const r = await run([1, 2, 3, 4, 5, 6, 7], new Set([1, 4, 7]));
    expect(r.isolated).toEqual([1, 4, 7]);
    expect(r.applied.flat()).toEqual([2, 3, 5, 6]);
    expect(r.splits[0]).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('hands a single failing message straight to isolate, and does nothing with none', async () => {
    expect((await run([9], new Set([9]))).isolated).toEqual([9]);
    expect((await run([], new Set())).attempts).toEqual([]);
  });

  it('stops when isolate throws (the consumer is stopping): nothing after it is applied or marked done', async () => {
    const applied: number[] = [];
    const done: number[] = [];
    const stopping = applySplitting([1, 2, 3, 4], {
      apply: async (slice) => {
        if (slice.includes(2)) throw new Error('fails');
        applied.push(...slice);
      },
      isolate: async () => {
        throw new Error('stopping');
      },
      done: (slice) => done.push(...slice),
    });
    await expect(stopping).rejects.toThrow('stopping');
    expect(applied).toEqual([1]);
    expect(done).toEqual([1]);
  });
});

describe('batch helpers', () => {
  it('halves a list, the first half the smaller', () => {
    expect(halves([1, 2, 3, 4, 5])).toEqual([[1, 2], [3, 4, 5]]);
    expect(halves([1, 2])).toEqual([[1], [2]]);
  });

  it('cuts chunks in order and refuses a size that is not a positive integer', () => {
    expect(chunked([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunked([], 3)).toEqual([]);
    expect(() => chunked([1], 0)).toThrow(/positive integer/);
  });

  it('keeps the first of each id and reports the repeats', () => {
    const items = [{ id: 'a', n: 1 }, { id: 'b', n: 2 }, { id: 'a', n: 3 }];
    expect(firstOfEachId(items, (i) => i.id)).toEqual({ firsts: [items[0], items[1]], repeats: [items[2]] });
  });
});
