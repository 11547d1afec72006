import { applyExactlyOnce, AppliedBatch, BatchHandler, EventTopic, HandledBatch, Inbox } from './exactly-once';
import type { IncomingMessage } from './incoming-message';
import { messagingMetrics } from './metrics';
import { SqlExecutor } from './sql';

/** A slice waiting for its transaction, and how to tell its submitter the outcome. */
interface Waiting<I, R> {
  items: readonly I[];
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/** What a TransactionGroup tells as it goes (metrics, logs): each transaction's slices and items. */
export interface TransactionGroupHooks {
  /** A transaction of the waiting slices starts (not the reruns of a failed group's slices). */
  starting?: (slices: number, items: number) => void;
  /** A transaction of several slices failed; they are run again one by one. */
  failed?: (error: unknown, slices: number, items: number) => void;
}

/**
 * Group commit, pure: slices submitted while a transaction runs wait for it to end and then go
 * together into the next one, up to `maxItems` items (a slice is never cut; the first always goes).
 * One transaction runs at a time. When a transaction of several slices fails, each of its slices is
 * run again alone, so that a failure stays with the slice it belongs to (its submitter sees it, splits
 * it and isolates the bad item) and the other slices are applied.
 */
export class TransactionGroup<I, R> {
  private readonly queue: Waiting<I, R>[] = [];
  private running = false;

  constructor(
    private readonly run: (items: readonly I[]) => Promise<R>,
    private readonly maxItems: number,
    private readonly hooks: TransactionGroupHooks = {},
  ) {
    if (!Number.isInteger(maxItems) || maxItems < 1) throw new Error(`maxItems must be a positive integer, got ${maxItems}`);
  }

  /** The slices waiting for the transaction in flight to end. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs the slice in a transaction, with whatever else is waiting then; resolves with that transaction's result. */
  apply(items: readonly I[]): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.running) {
        this.running = true;
        // After the slices submitted in the same turn (the batches of one fetch) have joined the queue.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runGroup(this.take());
    } finally {
      this.running = false;
    }
  }

  /** The waiting slices that go into the next transaction, in the order they came. */
  private take(): Waiting<I, R>[] {
    const group = [this.queue.shift() as Waiting<I, R>];
    let count = (group[0] as Waiting<I, R>).items.length;
    while (this.queue.length > 0 && count + (this.queue[0] as Waiting<I, R>).items.length <= this.maxItems) {
      const next = this.queue.shift() as Waiting<I, R>;
      count += next.items.length;
      group.push(next);
    }
    return group;
  }

  private async runGroup(group: readonly Waiting<I, R>[]): Promise<void> {
    const items = group.reduce((n, w) => n + w.items.length, 0);
    this.hooks.starting?.(group.length, items);
    if (group.length > 1) {
      let result: R;
      try {
        result = await this.run(group.flatMap((w) => w.items));
      } catch (e) {
        // Rolled back as a whole: each slice alone, so that only the one that fails reports a failure.
        this.hooks.failed?.(e, group.length, items);
        for (const w of group) await this.runAlone(w);
        return;
      }
      for (const w of group) w.resolve(result);
      return;
    }
    await this.runAlone(group[0] as Waiting<I, R>);
  }

  private async runAlone(w: Waiting<I, R>): Promise<void> {
    try {
      w.resolve(await this.run(w.items));
    } catch (e) {
      w.reject(e);
    }
  }
}

/**
 * The batches of several partitions applied exactly once in one transaction (group commit): what a
 * consumer whose batches of different partitions touch the same rows wants (billing: the scans and
 * verdicts of one case come on several partitions; applied apart, their transactions take turns on the
 * case's lock and decide the case once each). Give the same GroupCommit to every member of the group
 * in the process (ExactlyOnceConsumerOptions.groupCommit): a partition's batch waits for the
 * transaction in flight, then goes with every other batch waiting, up to `maxMessages`. The inbox, the
 * per-key order (a partition has one batch in flight) and the splitting of a failing batch are as
 * without it: a transaction of several batches that fails is run again batch by batch.
 */
export class GroupCommit<T extends EventTopic, TX extends SqlExecutor = SqlExecutor> {
  private readonly group: TransactionGroup<IncomingMessage<T>, AppliedBatch<T, HandledBatch>>;

  constructor(
    readonly inbox: Inbox<TX>,
    readonly handler: BatchHandler<T, TX>,
    readonly maxMessages: number,
  ) {
    const consumer = inbox.consumer;
    this.group = new TransactionGroup((messages) => applyExactlyOnce(inbox, messages, handler), maxMessages, {
      starting: (batches) => messagingMetrics.groupCommitBatches.observe({ consumer }, batches),
      failed: (err, batches, messages) => {
        messagingMetrics.groupCommitFailures.inc({ consumer });
        inbox.logger?.warn({ err, consumer, batches, messages }, 'group commit failed; applying its batches one by one');
      },
    });
  }

  /** The partitions' batches waiting for the transaction in flight. */
  get waitingBatches(): number {
    return this.group.waiting;
  }

  /** Applies the messages (of one partition, in offset order) exactly once, in a transaction with the batches waiting beside them. */
  apply(messages: readonly IncomingMessage<T>[]): Promise<AppliedBatch<T, HandledBatch>> {
    return this.group.apply(messages);
  }
}
