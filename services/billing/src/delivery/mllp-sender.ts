import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { frame, MllpDecoder, parseAck, readMessageHeader } from '@slidecharge/hl7';
import type { Logger } from '@slidecharge/messaging';
import type { DftTls } from './dft-tls';

/** What came back for one message: an answer (read by interpretAck), no answer in time, or no connection. */
export type SendResult =
  | { kind: 'answer'; text: string }
  | { kind: 'timeout'; detail: string }
  | { kind: 'connection-error'; detail: string };

export interface DftTarget {
  host: string;
  port: number;
  /** MLLP over TLS (1.2 or newer), the billing system's certificate checked against `ca` (else the system CAs). */
  tls?: DftTls;
}

/** Largest ACK read; a longer frame is dropped (an ACK is a few hundred bytes). */
const MAX_ACK_BYTES = 1024 * 1024;

/**
 * One MLLP connection to the billing system, plain TCP or TLS, framed and read with libs/hl7's
 * MllpDecoder: connects on demand, keeps the connection for the next message, and sends one message at
 * a time, waiting for the ACK whose MSA-2 echoes its MSH-10 (other ACKs are ignored). After a timeout
 * or a broken connection it drops the connection, so a late ACK can never be taken for the next
 * message's; the next send connects afresh.
 *
 * Not @medplum/hl7's Hl7Client: it has no TLS, and its connection ends a frame only when a chunk ends
 * with 0x1C 0x0D (two ACKs in one chunk become one, a stream without that end grows its buffer without
 * limit), the fault that ruled its Hl7Server out for accession's listener (docs/hl7-library-choice.md).
 */
export class MllpSender {
  private connection: MllpClientConnection | undefined;

  constructor(
    private readonly target: DftTarget,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async send(messageText: string): Promise<SendResult> {
    const controlId = readMessageHeader(messageText)?.controlId ?? '';
    // A kept connection the other side has closed since (restart, idle timeout): connect afresh, not fail.
    if (this.connection?.isClosed) this.reset();
    let connection: MllpClientConnection;
    try {
      connection = this.connection ?? (await this.connect());
    } catch (e) {
      return { kind: 'connection-error', detail: `${this.where()}: ${describe(e)}` };
    }
    this.connection = connection;
    const result = await connection.exchange(messageText, controlId, this.timeoutMs);
    if (result.kind !== 'answer') this.reset();
    return result;
  }

  /** Closes the connection (shutdown, or after a failed send). */
  async close(): Promise<void> {
    this.reset();
  }

  private reset(): void {
    this.connection?.destroy();
    this.connection = undefined;
  }

  /** A new connection, TLS handshake included, within the timeout. */
  private connect(): Promise<MllpClientConnection> {
    const { host, port, tls } = this.target;
    return new Promise((resolve, reject) => {
      const socket: Socket = tls
        ? connectTls({
            host,
            port,
            minVersion: 'TLSv1.2',
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
            // SNI and the name checked: the configured one, else the host when it is a name (SNI takes no IP address).
            ...(tls.servername ? { servername: tls.servername } : isIP(host) ? {} : { servername: host }),
          })
        : connectTcp({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        socket.destroy();
        reject(e);
      });
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new MllpClientConnection(socket, this.where(), this.logger));
      });
    });
  }

  private where(): string {
    return `${this.target.tls ? 'tls://' : ''}${this.target.host}:${this.target.port}`;
  }
}

/** An error as a short detail: its code and message (a TLS verification error says what failed). */
function describe(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message}` : (err.message ?? String(e));
}

interface Waiting {
  controlId: string;
  done: (result: SendResult) => void;
}

/** One open connection: writes a frame, reads ACK frames, answers the message waiting for its ACK. */
class MllpClientConnection {
  private readonly decoder = new MllpDecoder({ maxMessageBytes: MAX_ACK_BYTES });
  private waiting: Waiting | undefined;
  private closed: string | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly where: string,
    private readonly logger: Logger,
  ) {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', (e) => {
      this.closed ??= describe(e);
      this.logger.warn({ target: where, err: { code: (e as NodeJS.ErrnoException).code, message: e.message } }, `MLLP connection to ${where}: ${e.message}`);
    });
    socket.on('close', () => {
      this.closed ??= 'closed by the other side';
      this.waiting?.done({ kind: 'connection-error', detail: `${where} closed the connection before the ACK` });
    });
  }

  exchange(text: string, controlId: string, timeoutMs: number): Promise<SendResult> {
    if (this.closed !== undefined) return Promise.resolve({ kind: 'connection-error', detail: `${this.where}: ${this.closed}` });
    return new Promise<SendResult>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'timeout', detail: `no ACK from ${this.where} within ${timeoutMs} ms` }), timeoutMs);
      const finish = (result: SendResult) => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve(result);
      };
      this.waiting = { controlId, done: finish };
      this.socket.write(frame(text));
    });
  }

  get isClosed(): boolean {
    return this.closed !== undefined;
  }

  destroy(): void {
    this.closed ??= 'closed';
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    for (const item of this.decoder.read(chunk)) {
      if (item.kind !== 'message') {
        this.logger.warn({ target: this.where, item: item.kind }, `MLLP connection to ${this.where}: bytes that were not an ACK frame, ignored`);
        continue;
      }
      const ack = parseAck(item.text);
      if (this.waiting && ack?.controlId === this.waiting.controlId) this.waiting.done({ kind: 'answer', text: item.text });
      else this.logger.warn({ target: this.where, ackFor: ack?.controlId }, `MLLP connection to ${this.where}: an answer for no message waiting, ignored`);
    }
  }
}
