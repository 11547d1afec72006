import type { Socket } from 'node:net';
import { encodeMessageText, frame, MllpDecoder } from '@slidecharge/hl7';
import type { Logger } from '@slidecharge/messaging';
import { isLineNoise, safeError, type FramingProblem, type Hl7Peer, type IntakeResult } from './hl7-intake';
import type { Hl7IntakeService } from './hl7-intake.service';
import { mllpMetrics } from './mllp.metrics';

/** Messages read ahead of the one being processed before the connection stops reading (backpressure). */
const MAX_QUEUED = 32;
/** Framing errors on one connection after which it is closed: the peer does not speak MLLP. */
const MAX_FRAMING_ERRORS = 3;
/** At shutdown or close: time for the messages already read to be processed and answered. */
export const DRAIN_MS = 5_000;

export interface ConnectionOptions {
  /** A frame must be complete within this long of its first byte. */
  frameTimeoutMs: number;
  /** A connection with no frame started or answered for this long is closed. */
  idleTimeoutMs: number;
  maxMessageBytes: number;
}

/**
 * One LIS connection (plain TCP or TLS): decodes frames, processes them one at a time in order, writes
 * each ACK. Two clocks guard it: a frame must end within frameTimeoutMs of its first byte however
 * slowly its bytes come (a trickle cannot hold it open: slowloris), and a connection without a frame
 * for idleTimeoutMs is closed (bytes between frames, such as CR or NUL keep-alives, do not count).
 */
export class MllpConnection {
  private readonly decoder: MllpDecoder;
  private readonly log: Logger;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private framingErrors = 0;
  /** No more reading: the connection is being closed (framing trouble, idle, or shutdown). */
  private closing = false;
  private frameTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly intake: Hl7IntakeService,
    log: Logger,
    private readonly options: ConnectionOptions,
    private readonly from: Hl7Peer,
  ) {
    this.log = log.child({ peer: from.peer });
    this.decoder = new MllpDecoder({ maxMessageBytes: options.maxMessageBytes });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.read(chunk);
      } catch (err) {
        // Cannot happen (the decoder does not throw); if it does, this connection ends, not the service.
        this.log.error({ err: safeError(err) }, 'MLLP connection failed; closing it');
        socket.destroy();
      }
    });
    socket.on('error', (err) => this.log.warn({ err: safeError(err) }, 'MLLP connection error'));
    socket.on('close', () => {
      this.stopClocks();
      this.log.debug('MLLP connection closed');
    });
    this.armIdle();
    this.log.debug('MLLP connection opened');
  }

  private read(chunk: Buffer): void {
    if (this.closing) return;
    for (const item of this.decoder.read(chunk)) {
      if (item.kind === 'message') this.enqueue(() => this.intake.receive(item.text, this.from));
      else if (item.kind === 'oversized') this.framingProblem({ kind: 'oversized', limit: item.limit });
      else if (!isLineNoise(item)) this.framingProblem({ kind: item.reason, bytes: item.bytes, byteCount: item.byteCount });
    }
    this.watchFrame();
    if (this.queued > MAX_QUEUED) this.socket.pause();
  }

  /** Starts the frame clock at a frame's first byte (and stops the idle clock); stops it when no frame is open. */
  private watchFrame(): void {
    if (this.closing) return;
    if (this.decoder.inFrame && !this.frameTimer) {
      this.frameTimer = setTimeout(() => this.frameExpired(), this.options.frameTimeoutMs);
      this.clearIdle();
    } else if (!this.decoder.inFrame && this.frameTimer) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
  }

  /** The frame was not complete in time: answered AR and the connection closed. */
  private frameExpired(): void {
    this.frameTimer = undefined;
    if (this.closing || !this.decoder.inFrame) return;
    const bytes = this.decoder.abandon() ?? Buffer.alloc(0);
    mllpMetrics.closed.inc({ reason: 'frame-timeout' });
    this.framingProblem({ kind: 'frame-timeout', bytes, timeoutMs: this.options.frameTimeoutMs }, true);
  }

  private armIdle(): void {
    this.clearIdle();
    if (this.closing) return;
    this.idleTimer = setTimeout(() => this.idle(), this.options.idleTimeoutMs);
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  /** No frame for idleTimeoutMs: closed, unless a frame is open (its own clock runs) or a message is in hand (re-armed when answered). */
  private idle(): void {
    this.idleTimer = undefined;
    if (this.closing || this.decoder.inFrame || this.queued > 0) return;
    this.log.info({ idleTimeoutMs: this.options.idleTimeoutMs }, 'closing an idle MLLP connection');
    mllpMetrics.closed.inc({ reason: 'idle' });
    void this.drain(DRAIN_MS);
  }

  private stopClocks(): void {
    this.clearIdle();
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private framingProblem(problem: FramingProblem, close = false): void {
    this.framingErrors++;
    this.enqueue(() => this.intake.framing(problem, this.from));
    if (close || this.framingErrors >= MAX_FRAMING_ERRORS) {
      if (!close) mllpMetrics.closed.inc({ reason: 'framing-errors' });
      this.log.warn({ framingErrors: this.framingErrors, problem: problem.kind }, 'closing the MLLP connection after framing errors');
      void this.drain(DRAIN_MS);
    }
  }

  /** Processes jobs one at a time, in the order read, and writes each ACK as soon as it is known. */
  private enqueue(job: () => Promise<IntakeResult>): void {
    this.queued++;
    this.queue = this.queue
      .then(job)
      .then((result) => this.write(result.ack))
      .catch((err: unknown) => this.log.error({ err: safeError(err) }, 'MLLP job failed'))
      .finally(() => {
        this.queued--;
        if (!this.closing && this.queued <= MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume();
        if (!this.decoder.inFrame) this.armIdle();
      });
  }

  private write(ack: string): void {
    if (this.socket.destroyed || !this.socket.writable) {
      this.log.warn('connection closed before its ACK could be sent; the sender will resend and get the same ACK');
      return;
    }
    // In the character set the response's MSH-18 names (the request's, echoed), UTF-8 otherwise.
    this.socket.write(frame(encodeMessageText(ack)));
  }

  /** Stops reading, answers what was read (within graceMs), then ends the connection. */
  async drain(graceMs: number): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.stopClocks();
      this.socket.pause();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (this.socket.destroyed) return;
    const gone = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.end();
    const force = setTimeout(() => this.socket.destroy(), 1_000);
    await gone;
    clearTimeout(force);
  }
}
