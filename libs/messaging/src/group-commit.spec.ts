import { TransactionGroup } from './group-commit';

/** A run function that records each transaction's items and holds it open until released. */
function recordingRun(fails: (items: readonly string[]) => boolean = () => false) {
  const transactions: string[][] = [];
  const open: (() => void)[] = [];
  const run = (items: readonly string[]) =>
    new Promise<string[]>((resolve, reject) => {
      transactions.push([...items]);
      open.push(() => (fails(items) ? reject(new Error(`failed: ${items.join(',')}`)) : resolve([...items])));
    });
  /** Ends the oldest open transaction and lets the group go on. */
  const release = async () => {
    while (open.length === 0) await new Promise((r) => setImmediate(r));
    (open.shift() as () => void)();
    await new Promise((r) => setImmediate(r));
  };
  return { run, transactions, release };
}

/** A promise's outcome, observed at once (so that a rejection is never unhandled while the test goes on). */
const outcome = <T>(p: Promise<T>) => p.then((value) => ({ value }), (e: Error) => ({ error: e.message }));

describe('TransactionGroup (group commit)', () => {
  it('puts the slices submitted in one turn into one transaction, in the order they came', async () => {
    const { run, transactions, release } = recordingRun();
    const group = new TransactionGroup(run, 100);
    const a = group.apply(['a1', 'a2']);
    const b = group.apply(['b1']);
    await release();
    await expect(a).resolves.toEqual(['a1', 'a2', 'b1']);
    await expect(b).resolves.toEqual(['a1', 'a2', 'b1']);
    expect(transactions).toEqual([['a1', 'a2', 'b1']]);
  });

  it('runs one transaction at a time: what comes meanwhile waits and goes together in the next', async () => {
    const { run, transactions, release } = recordingRun();
    const group = new TransactionGroup(run, 100);
    const first = group.apply(['a1']);
    await new Promise((r) => setImmediate(r));
    expect(transactions).toEqual([['a1']]);
    expect(group.waiting).toBe(0);
    const later = [group.apply(['b1']), group.apply(['c1', 'c2'])];
    await new Promise((r) => setImmediate(r));
    expect(transactions).toHaveLength(1);
    expect(group.waiting).toBe(2);
    await release();
    await first;
    await release();
    await Promise.all(later);
    expect(transactions).toEqual([['a1'], ['b1', 'c1', 'c2']]);
  });

  it('never cuts a slice and never lets a transaction exceed maxItems but for a single slice larger than it', async () => {
    const { run, transactions, release } = recordingRun();
    const group = new TransactionGroup(run, 3);
    const all = [group.apply(['a1', 'a2']), group.apply(['b1', 'b2']), group.apply(['c1']), group.apply(['d1', 'd2', 'd3', 'd4'])];
    for (let i = 0; i < 3; i++) await release();
    await Promise.all(all);
    expect(transactions).toEqual([['a1', 'a2'], ['b1', 'b2', 'c1'], ['d1', 'd2', 'd3', 'd4']]);
  });

  it('runs each slice of a failed transaction alone: only the slice that fails alone sees the failure', async () => {
    const { run, transactions, release } = recordingRun((items) => items.includes('bad'));
    const failures: unknown[][] = [];
    const starts: number[][] = [];
    const group = new TransactionGroup(run, 100, {
      starting: (slices, items) => starts.push([slices, items]),
      failed: (error, slices, items) => failures.push([(error as Error).message, slices, items]),
    });
    const good = outcome(group.apply(['a1']));
    const poisoned = outcome(group.apply(['b1', 'bad']));
    const alsoGood = outcome(group.apply(['c1']));
    for (let i = 0; i < 4; i++) await release();
    expect(await good).toEqual({ value: ['a1'] });
    expect(await poisoned).toEqual({ error: 'failed: b1,bad' });
    expect(await alsoGood).toEqual({ value: ['c1'] });
    expect(transactions).toEqual([['a1', 'b1', 'bad', 'c1'], ['a1'], ['b1', 'bad'], ['c1']]);
    expect(failures).toEqual([['failed: a1,b1,bad,c1', 3, 4]]);
    expect(starts).toEqual([[3, 4]]);
  });

  it('a slice alone that fails is reported to its submitter, and the group goes on with the next', async () => {
    const { run, transactions, release } = recordingRun((items) => items.includes('bad'));
    const group = new TransactionGroup(run, 100);
    const poisoned = outcome(group.apply(['bad']));
    await release();
    expect(await poisoned).toEqual({ error: 'failed: bad' });
    const next = group.apply(['n1']);
    await release();
    await expect(next).resolves.toEqual(['n1']);
    expect(transactions).toEqual([['bad'], ['n1']]);
  });

  it('refuses a maxItems that is not a positive whole number', () => {
    expect(() => new TransactionGroup(async () => undefined, 0)).toThrow(/positive integer/);
  });
});
