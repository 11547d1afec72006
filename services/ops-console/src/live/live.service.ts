import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { OpsLiveEvent } from '@slidecharge/contracts';
import { ServiceRuntime } from '@slidecharge/service-kit';
import { OverviewService } from '../overview/overview.service';
import { ProjectionChanges } from '../projection/projection-changes.service';
import type { CallerHeaders } from '../upstream/upstream.service';
import { carries, nextOverviewDelay, sseFrame, SSE_HEARTBEAT, tokenExpiry } from './sse';

/** Where a stream writes (an HTTP response kept open). */
export interface LiveSink {
  write(chunk: string): unknown;
  end(): unknown;
}

/** Overviews at most this often while the read model changes. */
const MIN_GAP_MS = 2000;
/** A heartbeat, and an overview when none went out for this long. */
const IDLE_MS = 15_000;

/** One open stream. */
class LiveStream {
  private lastOverviewAt = 0;
  private pending: NodeJS.Timeout | undefined;
  private sending = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private subscription: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly sink: LiveSink,
    private readonly view: 'wall' | 'full',
    private readonly caller: CallerHeaders,
    private readonly service: LiveService,
  ) {}

  start(changes: ProjectionChanges, expiresAt: Date | null): void {
    this.subscription = changes.changes.subscribe({
      next: (change) => {
        if (change.activity) this.send({ event: 'activity', data: change.activity });
        this.scheduleOverview();
      },
      complete: () => this.close(),
    });
    this.timers.push(
      setInterval(() => {
        this.sink.write(SSE_HEARTBEAT);
        if (Date.now() - this.lastOverviewAt >= IDLE_MS) this.scheduleOverview();
      }, IDLE_MS),
    );
    // The stream ends with the caller's token: the browser reconnects with a fresh one.
    if (expiresAt) this.timers.push(setTimeout(() => this.close(), Math.max(0, expiresAt.getTime() - Date.now())));
    this.scheduleOverview();
  }

  private send(event: OpsLiveEvent): void {
    if (!this.closed && carries(this.view, event.event)) this.sink.write(sseFrame(event));
  }

  private scheduleOverview(): void {
    if (this.closed || this.pending) return;
    this.pending = setTimeout(() => void this.sendOverview(), nextOverviewDelay(this.lastOverviewAt, Date.now(), MIN_GAP_MS));
  }

  private async sendOverview(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    this.lastOverviewAt = Date.now();
    try {
      const [overview, lag] = await Promise.all([this.service.overview.overview(this.caller), this.service.overview.lagSeries('scan-to-charge', '1h')]);
      this.send({ event: 'overview', data: overview });
      this.send({ event: 'lag', data: lag });
    } catch (err) {
      this.service.runtime.logger.warn({ err }, 'live stream: the overview could not be computed; the next change or heartbeat tries again');
    } finally {
      this.sending = false;
      this.pending = undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.unsubscribe();
    for (const t of this.timers) clearTimeout(t);
    if (this.pending) clearTimeout(this.pending);
    this.service.forget(this);
    this.sink.end();
  }
}

/**
 * GET /api/live: an overview at once, then whenever the read model changes (at most every 2 s) and at
 * least every 15 s, the 1 h scan -> charge lag with it, each new charge or credit as it is projected
 * (not on the wall view), a heartbeat comment every 15 s. Streams end when the client goes, when its
 * token expires, and at shutdown (before the HTTP server waits for open connections).
 */
@Injectable()
export class LiveService implements BeforeApplicationShutdown {
  private readonly streams = new Set<LiveStream>();

  constructor(
    readonly overview: OverviewService,
    readonly runtime: ServiceRuntime,
    private readonly changes: ProjectionChanges,
  ) {}

  open(sink: LiveSink, view: 'wall' | 'full', caller: CallerHeaders): () => void {
    const stream = new LiveStream(sink, view, caller, this);
    this.streams.add(stream);
    stream.start(this.changes, tokenExpiry(caller.authorization));
    return () => stream.close();
  }

  forget(stream: LiveStream): void {
    this.streams.delete(stream);
  }

  openStreams(): number {
    return this.streams.size;
  }

  beforeApplicationShutdown(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}
