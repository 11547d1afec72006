import { Hl7Message } from '@medplum/core';
import { Hl7Client, Hl7ErrorEvent } from '@medplum/hl7';
import type { Logger } from '@slidecharge/messaging';

/** What came back for one message: an answer (read by interpretAck), no answer in time, or no connection. */
export type SendResult =
  | { kind: 'answer'; text: string }
  | { kind: 'timeout'; detail: string }
  | { kind: 'connection-error'; detail: string };

/**
 * One MLLP connection to the billing system, over @medplum/hl7's Hl7Client: connects on demand, keeps the
 * connection for the next message, and sends one message at a time, waiting for the ACK whose MSA-2
 * echoes its MSH-10. After a timeout or a broken connection it drops the connection, so a late ACK can
 * never be taken for the next message's; the next send connects afresh.
 */
export class MllpSender {
  private client: Hl7Client | undefined;

  constructor(
    private readonly target: { host: string; port: number },
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async send(messageText: string): Promise<SendResult> {
    const message = Hl7Message.parse(messageText);
    const client = this.clientFor();
    let closed: (() => void) | undefined;
    // Hl7Client leaves a pending sendAndWait waiting when the other side closes the connection: that is
    // a connection error now, not a timeout later.
    const broken = new Promise<SendResult>((resolve) => {
      closed = () => resolve({ kind: 'connection-error', detail: `${this.where()} closed the connection before the ACK` });
      client.addEventListener('close', closed);
    });
    const errored = (e: Hl7ErrorEvent) => this.logger.warn({ err: e.error, target: this.where() }, `MLLP connection to ${this.where()}: ${e.error.message}`);
    client.addEventListener('error', errored);
    try {
      const answered = client.sendAndWait(message, { timeoutMs: this.timeoutMs }).then(
        (ack): SendResult => ({ kind: 'answer', text: ack.toString() }),
        (e: unknown): SendResult => this.failure(e),
      );
      const result = await Promise.race([answered, broken]);
      if (result.kind !== 'answer') await this.reset();
      return result;
    } finally {
      if (closed) client.removeEventListener('close', closed);
      client.removeEventListener('error', errored);
    }
  }

  /** Closes the connection (shutdown, or after a failed send). */
  async close(): Promise<void> {
    await this.reset();
  }

  private clientFor(): Hl7Client {
    this.client ??= new Hl7Client({ host: this.target.host, port: this.target.port, connectTimeout: this.timeoutMs, keepAlive: true });
    return this.client;
  }

  private async reset(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close().catch((e: unknown) => this.logger.warn({ err: e }, `closing the MLLP connection to ${this.where()} failed`));
  }

  private where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  private failure(e: unknown): SendResult {
    // @medplum/hl7 rejects a timed-out wait with an OperationOutcomeError whose issue code is "timeout";
    // connect errors are plain socket errors (ECONNREFUSED, ETIMEDOUT, ...).
    const outcome = (e as { outcome?: { issue?: { code?: string; diagnostics?: string }[] } }).outcome;
    const issue = outcome?.issue?.[0];
    if (issue?.code === 'timeout') return { kind: 'timeout', detail: `no ACK from ${this.where()} within ${this.timeoutMs} ms` };
    const err = e as NodeJS.ErrnoException;
    const detail = issue?.diagnostics ?? (err.code ? `${err.code}: ${err.message}` : err.message ?? String(e));
    return { kind: 'connection-error', detail: `${this.where()}: ${detail}` };
  }
}
