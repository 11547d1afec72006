import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { frame, MllpDecoder, parseAck, type ParsedAck } from '@slidecharge/hl7';

/** An MLLP connection for the tests (plain TCP or TLS) that collects the ACKs it receives. */
export class MllpTestClient {
  private readonly decoder = new MllpDecoder();
  private readonly acks: string[] = [];
  private wake: (() => void) | undefined;
  ended = false;
  /** When the connection closed (Date.now()). */
  closedAt: number | undefined;
  /** The socket error that ended the connection, if any (a TLS alert, a reset). */
  error: Error | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.acks.push(...this.decoder.push(chunk));
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.closedAt = Date.now();
      this.wake?.();
    });
    socket.on('error', (e) => {
      this.error = e;
    });
  }

  /** A plain TCP connection (from `localAddress`, e.g. 127.0.0.2, when given). */
  static connect(port: number, localAddress?: string): Promise<MllpTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new MllpTestClient(socket));
      });
    });
  }

  /** A TLS connection; resolves once the handshake is done on the client's side. */
  static connectTls(port: number, options: ConnectionOptions): Promise<MllpTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ port, host: '127.0.0.1', servername: 'localhost', ...options });
      socket.once('error', reject);
      socket.once('secureConnect', () => {
        socket.off('error', reject);
        resolve(new MllpTestClient(socket));
      });
    });
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** The next ACK, as text. */
  async nextAck(timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.acks.length === 0) {
      if (this.ended) throw new Error(`connection closed without an ACK${this.error ? ` (${this.error.message})` : ''}`);
      if (Date.now() > deadline) throw new Error(`no ACK within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return this.acks.shift() as string;
  }

  async send(message: string): Promise<{ text: string; ack: ParsedAck }> {
    this.write(frame(message));
    const text = await this.nextAck();
    const ack = parseAck(text);
    if (!ack) throw new Error(`not an ACK: ${text}`);
    return { text, ack };
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
