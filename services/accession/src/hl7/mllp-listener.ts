import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { frame, MllpDecoder } from '@slidecharge/hl7';
import type { Logger } from '@slidecharge/messaging';
import { ReadinessCheck, ServiceRuntime } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from '../config';
import { isLineNoise, type FramingProblem, type IntakeResult } from './hl7-intake';
import { Hl7IntakeService } from './hl7-intake.service';

/** Messages read ahead of the one being processed before the connection stops reading (backpressure). */
const MAX_QUEUED = 32;
/** Framing errors on one connection after which it is closed: the peer does not speak MLLP. */
const MAX_FRAMING_ERRORS = 3;
/** At shutdown: time for the messages already read to be processed and answered. */
const DRAIN_MS = 5_000;

/**
 * The MLLP listener for HL7 v2 orders from the LIS (node:net + MllpDecoder of libs/hl7; why not
 * @medplum/hl7's Hl7Server: docs/hl7-library-choice.md).
 *
 * Each connection is handled in order: one message is processed and answered before the next
 * (MLLP senders wait for the ACK; pipelined messages are answered in the order sent). Bytes that are
 * not a complete frame are stored and answered AR; whitespace between frames is ignored. A frame left
 * open longer than ACCESSION_MLLP_FRAME_TIMEOUT_MS is answered AR and the connection closed. At
 * shutdown the listener stops accepting, finishes and answers what it has read, and closes.
 */
@Injectable()
export class MllpListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private server: Server | undefined;
  private bound: AddressInfo | undefined;
  private readonly connections = new Set<MllpConnection>();

  constructor(
    @Inject(ACCESSION_CONFIG) private readonly config: AccessionConfig,
    private readonly intake: Hl7IntakeService,
    runtime: ServiceRuntime,
  ) {
    this.log = runtime.logger.child({ component: 'mllp' });
  }

  /** Listens, or fails the start (port taken, bad address): the service must not run half-connected. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ACCESSION_MLLP_ENABLED) {
      this.log.info('MLLP listener disabled (ACCESSION_MLLP_ENABLED=false)');
      return;
    }
    const host = this.config.ACCESSION_MLLP_HOST ?? this.config.HOST;
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.ACCESSION_MLLP_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new Error(`MLLP listener could not listen on ${host}:${this.config.ACCESSION_MLLP_PORT}: ${(error as Error).message}`);
    });
    server.on('error', (err) => this.log.error({ err }, 'MLLP listener error'));
    this.server = server;
    this.bound = server.address() as AddressInfo;
    this.log.info({ host: this.bound.address, port: this.bound.port }, 'MLLP listening for HL7 orders');
  }

  /** The port listened on (useful when ACCESSION_MLLP_PORT=0); undefined when not listening. */
  get port(): number | undefined {
    return this.server?.listening ? this.bound?.port : undefined;
  }

  readinessCheck(): ReadinessCheck {
    return {
      name: 'mllp',
      check: async () => {
        if (!this.config.ACCESSION_MLLP_ENABLED) return { disabled: true };
        if (!this.server?.listening || !this.bound) throw new Error('the MLLP listener is not listening');
        return { host: this.bound.address, port: this.bound.port, connections: this.connections.size };
      },
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Stops accepting, lets each connection answer what it has read, then closes them. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.drain(DRAIN_MS)));
    await closed;
    this.log.info('MLLP listener stopped');
  }

  private accept(socket: Socket): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    const connection = new MllpConnection(socket, this.intake, this.log, {
      frameTimeoutMs: this.config.ACCESSION_MLLP_FRAME_TIMEOUT_MS,
      maxMessageBytes: this.config.ACCESSION_MLLP_MAX_MESSAGE_BYTES,
    });
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }
}

/** One LIS connection: decodes frames, processes them one at a time in order, writes each ACK. */
class MllpConnection {
  private readonly decoder: MllpDecoder;
  private readonly peer: string;
  private readonly log: Logger;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private framingErrors = 0;
  /** No more reading: the connection is being closed (framing trouble or shutdown). */
  private closing = false;

  constructor(
    private readonly socket: Socket,
    private readonly intake: Hl7IntakeService,
    log: Logger,
    private readonly options: { frameTimeoutMs: number; maxMessageBytes: number },
  ) {
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.log = log.child({ peer: this.peer });
    this.decoder = new MllpDecoder({ maxMessageBytes: options.maxMessageBytes });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.setTimeout(options.frameTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.read(chunk);
      } catch (err) {
        // Cannot happen (the decoder does not throw); if it does, this connection ends, not the service.
        this.log.error({ err }, 'MLLP connection failed; closing it');
        socket.destroy();
      }
    });
    socket.on('timeout', () => this.idle());
    socket.on('error', (err) => this.log.warn({ err }, 'MLLP connection error'));
    socket.on('close', () => this.log.debug('MLLP connection closed'));
    this.log.debug('MLLP connection opened');
  }

  private read(chunk: Buffer): void {
    if (this.closing) return;
    for (const item of this.decoder.read(chunk)) {
      if (item.kind === 'message') this.enqueue(() => this.intake.receive(item.text, this.peer));
      else if (item.kind === 'oversized') this.framingProblem({ kind: 'oversized', limit: item.limit });
      else if (!isLineNoise(item)) this.framingProblem({ kind: item.reason, bytes: item.bytes, byteCount: item.byteCount });
    }
    if (this.queued > MAX_QUEUED) this.socket.pause();
  }

  /** No bytes for frameTimeoutMs: fine between messages; a frame left open is answered AR and the connection closed. */
  private idle(): void {
    if (this.closing || !this.decoder.inFrame) return;
    const bytes = this.decoder.abandon() ?? Buffer.alloc(0);
    this.framingProblem({ kind: 'frame-timeout', bytes, timeoutMs: this.options.frameTimeoutMs }, true);
  }

  private framingProblem(problem: FramingProblem, close = false): void {
    this.framingErrors++;
    this.enqueue(() => this.intake.framing(problem, this.peer));
    if (close || this.framingErrors >= MAX_FRAMING_ERRORS) {
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
      .catch((err: unknown) => this.log.error({ err }, 'MLLP job failed'))
      .finally(() => {
        this.queued--;
        if (!this.closing && this.queued <= MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume();
      });
  }

  private write(ack: string): void {
    if (this.socket.destroyed || !this.socket.writable) {
      this.log.warn('connection closed before its ACK could be sent; the sender will resend and get the same ACK');
      return;
    }
    this.socket.write(frame(ack));
  }

  /** Stops reading, answers what was read (within graceMs), then ends the connection. */
  async drain(graceMs: number): Promise<void> {
    if (!this.closing) {
      this.closing = true;
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
