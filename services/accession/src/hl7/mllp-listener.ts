import { BeforeApplicationShutdown, Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from '@slidecharge/messaging';
import { ReadinessCheck, ServiceRuntime } from '@slidecharge/service-kit';
import { ACCESSION_CONFIG, AccessionConfig } from '../config';
import { safeError, type Hl7Peer } from './hl7-intake';
import { Hl7IntakeService } from './hl7-intake.service';
import { ConnectionLimiter, LogThrottle } from './mllp-admission';
import { DRAIN_MS, MllpConnection } from './mllp-connection';
import { clientAuthOf } from './mllp.config';
import { mllpMetrics } from './mllp.metrics';
import { tlsServerOptions, verifiedCertificate } from './mllp-tls';
import { normalizeAddress } from './sender-allow-list';
import { SenderAllowListService } from './sender-allow-list.service';

/** Refused connections in a flood: one log line per this many ms (the metric counts every one). */
const REFUSAL_LOG_INTERVAL_MS = 5_000;

/**
 * The MLLP listener for HL7 v2 orders from the LIS (node:net or node:tls + MllpDecoder of libs/hl7;
 * why not @medplum/hl7's Hl7Server: docs/hl7-library-choice.md).
 *
 * Plain TCP, or TLS 1.2+ when ACCESSION_MLLP_TLS_CERT_FILE/_KEY_FILE are set, with client
 * certificates per ACCESSION_MLLP_TLS_CLIENT_AUTH. Before a byte is read a connection must find a
 * place (ACCESSION_MLLP_MAX_CONNECTIONS in all, _PER_PEER per address) and, with a sender allow-list,
 * match one of its entries: otherwise it is closed at once (logged, counted in
 * slidecharge_mllp_connections_refused_total). Each connection is handled in order by MllpConnection
 * (frame and idle clocks, one message answered before the next). At shutdown the listener stops
 * accepting, answers what it has read, and closes.
 */
@Injectable()
export class MllpListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log: Logger;
  private server: Server | undefined;
  private bound: AddressInfo | undefined;
  private tls = false;
  private readonly connections = new Set<MllpConnection>();
  /** Every admitted TCP socket (a TLS one too, from before its handshake) until it closes. */
  private readonly sockets = new Set<Socket>();
  private readonly limiter: ConnectionLimiter;
  private readonly refusals = new LogThrottle(REFUSAL_LOG_INTERVAL_MS);

  constructor(
    @Inject(ACCESSION_CONFIG) private readonly config: AccessionConfig,
    private readonly intake: Hl7IntakeService,
    private readonly senders: SenderAllowListService,
    runtime: ServiceRuntime,
  ) {
    this.log = runtime.logger.child({ component: 'mllp' });
    this.limiter = new ConnectionLimiter({ maxConnections: config.ACCESSION_MLLP_MAX_CONNECTIONS, maxPerPeer: config.ACCESSION_MLLP_MAX_CONNECTIONS_PER_PEER });
  }

  /** Listens, or fails the start (port taken, bad address, unusable certificate): the service must not run half-connected. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.ACCESSION_MLLP_ENABLED) {
      this.log.info('MLLP listener disabled (ACCESSION_MLLP_ENABLED=false)');
      return;
    }
    const host = this.config.ACCESSION_MLLP_HOST ?? this.config.HOST;
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.ACCESSION_MLLP_PORT, host, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new Error(`MLLP listener could not listen on ${host}:${this.config.ACCESSION_MLLP_PORT}: ${(error as Error).message}`);
    });
    server.on('error', (err) => this.log.error({ err: safeError(err) }, 'MLLP listener error'));
    this.server = server;
    this.bound = server.address() as AddressInfo;
    this.logStart();
  }

  private createServer(): Server {
    const tlsOptions = tlsServerOptions(this.config);
    this.tls = tlsOptions !== undefined;
    if (!tlsOptions) {
      const server = createServer();
      server.on('connection', (socket: Socket) => {
        if (this.admit(socket)) this.open(socket, this.peerOf(socket));
      });
      return server;
    }
    const server = createTlsServer(tlsOptions);
    // 'connection' is the TCP socket before its handshake: the caps apply to handshakes too.
    server.on('connection', (socket: Socket) => void this.admit(socket));
    server.on('secureConnection', (socket: TLSSocket) => {
      const certificate = verifiedCertificate(socket.authorized, socket.getPeerCertificate());
      this.open(socket, { ...this.peerOf(socket), ...(certificate ? { certificate } : {}) });
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      if (socket.destroyed && err.code === 'ECONNRESET') return; // closed by us (refused) or by the peer before the handshake
      this.refuse('tls-handshake', socket, { code: err.code, reason: err.message });
    });
    return server;
  }

  private logStart(): void {
    const bound = this.bound;
    const clientAuth = this.tls ? clientAuthOf(this.config) : 'none';
    const senders = this.senders.list ? `${this.senders.list.entries.length} entries` : 'any (no ACCESSION_MLLP_SENDERS_FILE)';
    this.log.info({ host: bound?.address, port: bound?.port, tls: this.tls, clientAuth, senders }, `MLLP listening for HL7 orders${this.tls ? ' over TLS' : ''}`);
    if (!this.tls && this.config.SLIDECHARGE_ENV === 'production') {
      this.log.warn(
        'MLLP without TLS: orders (PHI) cross the network in clear. Set ACCESSION_MLLP_TLS_CERT_FILE and _KEY_FILE, or keep the port on a VPN / stunnel to the LIS',
      );
    }
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
        return {
          host: this.bound.address,
          port: this.bound.port,
          tls: this.tls,
          connections: this.limiter.open,
          maxConnections: this.config.ACCESSION_MLLP_MAX_CONNECTIONS,
          senderAllowList: this.senders.list !== undefined,
        };
      },
    };
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Stops accepting, lets each connection answer what it has read, then closes them (and any handshake in progress). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.drain(DRAIN_MS)));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    this.log.info('MLLP listener stopped');
  }

  /** A place for a new TCP connection, or it is closed at once. */
  private admit(socket: Socket): boolean {
    if (!this.server) {
      socket.destroy();
      return false;
    }
    const place = this.limiter.admit(socket.remoteAddress ?? '?');
    if (!place.admitted) {
      this.refuse(place.reason, socket);
      return false;
    }
    this.sockets.add(socket);
    mllpMetrics.open.inc();
    socket.once('close', () => {
      place.release();
      this.sockets.delete(socket);
      mllpMetrics.open.dec();
    });
    return true;
  }

  /** A connection ready for MLLP (after its TLS handshake): refused when the sender allow-list matches nothing for it. */
  private open(socket: Socket, from: Hl7Peer): void {
    if (!this.server) {
      socket.destroy();
      return;
    }
    if (!this.senders.knows(from)) {
      this.refuse('unknown-sender', socket, from.certificate ? { certificate: from.certificate.subjectCN ?? from.certificate.sha256 } : {});
      return;
    }
    const connection = new MllpConnection(
      socket,
      this.intake,
      this.log,
      {
        frameTimeoutMs: this.config.ACCESSION_MLLP_FRAME_TIMEOUT_MS,
        idleTimeoutMs: this.config.ACCESSION_MLLP_IDLE_TIMEOUT_MS,
        maxMessageBytes: this.config.ACCESSION_MLLP_MAX_MESSAGE_BYTES,
      },
      from,
    );
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  private refuse(reason: string, socket: Socket, detail: Record<string, unknown> = {}): void {
    mllpMetrics.refused.inc({ reason });
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.destroy();
    const line = this.refusals.take(Date.now());
    if (line.log) {
      this.log.warn(
        { peer, reason, ...detail, openConnections: this.limiter.open, ...(line.skipped ? { refusedSinceLastLine: line.skipped } : {}) },
        `MLLP connection refused (${reason})`,
      );
    }
  }

  private peerOf(socket: Socket): Hl7Peer {
    const address = socket.remoteAddress;
    return { peer: `${address ?? '?'}:${socket.remotePort ?? '?'}`, ...(address !== undefined ? { address: normalizeAddress(address) } : {}) };
  }
}
