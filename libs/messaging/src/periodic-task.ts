/**
 * Runs a task at start (or `firstRunAfterMs` later) and then every `intervalMs` (unref'd timers: they
 * never keep the process up), never two runs at once: a run still under way when the timer fires is not
 * doubled. A failed run is handed to onError; the next one retries. stop() clears the timers and waits
 * for the run under way.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
    private readonly firstRunAfterMs = 0,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.runOnce(), this.intervalMs);
    this.timer.unref();
    if (this.firstRunAfterMs <= 0) {
      this.runOnce();
    } else {
      this.first = setTimeout(() => this.runOnce(), this.firstRunAfterMs);
      this.first.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.first);
    this.timer = undefined;
    this.first = undefined;
    await this.running;
  }

  private runOnce(): void {
    if (this.running) return;
    this.running = this.task()
      .then(() => undefined, this.onError)
      .finally(() => {
        this.running = undefined;
      });
  }
}
