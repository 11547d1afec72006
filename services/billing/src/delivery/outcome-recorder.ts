import type { AttemptResult } from './delivery.repository';

/**
 * Writes outcomes behind the sends: one write at a time, each taking every outcome that came in while
 * the previous one ran. flush() waits for all and throws the first error.
 */
export class OutcomeRecorder {
  private pending: AttemptResult[] = [];
  private writing: Promise<void> | undefined;
  private error: unknown;

  constructor(private readonly write: (results: AttemptResult[]) => Promise<void>) {}

  add(result: AttemptResult): void {
    this.pending.push(result);
    this.next();
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.error !== undefined) throw this.error;
  }

  private next(): void {
    if (this.writing || this.pending.length === 0 || this.error !== undefined) return;
    const results = this.pending.splice(0);
    this.writing = this.write(results)
      .catch((e: unknown) => {
        this.error = e;
      })
      .finally(() => {
        this.writing = undefined;
        this.next();
      });
  }
}
