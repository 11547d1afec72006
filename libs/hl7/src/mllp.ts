/** MLLP framing (0x0B message 0x1C 0x0D) as pure buffer logic: no sockets here. */
import { decodeMessageBytes } from './encoding-charset';

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Wraps one message in an MLLP frame (UTF-8 by default). */
export function frame(message: string | Uint8Array, encoding: BufferEncoding = 'utf8'): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, encoding) : Buffer.from(message);
  return Buffer.concat([Buffer.from([MLLP_START]), body, Buffer.from([MLLP_END, MLLP_CR])]);
}

/** Thrown-away bytes kept for the report (the count covers all of them). */
const DISCARD_KEEP = 64 * 1024;

export type MllpDiscardReason = 'outside-frame' | 'unterminated-frame';

/** What the decoder found in the stream, in order. */
export type MllpItem =
  | { kind: 'message'; text: string }
  /** Bytes that are not part of a complete frame: `bytes` holds the first 64 KiB of `byteCount`. */
  | { kind: 'discarded'; reason: MllpDiscardReason; bytes: Buffer; byteCount: number }
  /** A frame longer than maxMessageBytes, dropped. */
  | { kind: 'oversized'; limit: number };

export interface MllpDecoderOptions {
  /** Decode every frame with this encoding; by default each frame as its MSH-18 says (UTF-8 when empty). */
  encoding?: BufferEncoding;
  /** A frame longer than this is dropped (and counted in `oversized`); default 10 MiB. */
  maxMessageBytes?: number;
}

/**
 * Streaming MLLP decoder: feed it whatever the socket delivers (frames split across chunks, several
 * frames in one chunk) and it returns the complete messages. Bytes outside a frame are skipped and
 * counted in `discardedBytes` (`read` reports them too, so a receiver can answer them). Decoding to
 * text happens per whole frame, so multi-byte characters split across chunks are safe.
 */
export class MllpDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private framing = false;
  private sawEnd = false;
  private readonly encoding: BufferEncoding | undefined;
  private readonly max: number;
  discardedBytes = 0;
  oversized = 0;

  constructor(options: MllpDecoderOptions = {}) {
    this.encoding = options.encoding;
    this.max = options.maxMessageBytes ?? 10 * 1024 * 1024;
  }

  /** Feeds a chunk; returns the messages completed by it, in order. */
  push(chunk: Uint8Array): string[] {
    return this.read(chunk).flatMap((item) => (item.kind === 'message' ? [item.text] : []));
  }

  /**
   * Feeds a chunk; returns, in stream order, the messages it completed and what was thrown away:
   * bytes outside any frame, a frame abandoned because a new start block came before its end, and
   * frames over the size limit. A receiver can answer or log each of them.
   */
  read(chunk: Uint8Array): MllpItem[] {
    const out: MllpItem[] = [];
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < buf.length) {
      if (!this.inFrame) {
        const j = buf.indexOf(MLLP_START, i);
        const end = j < 0 ? buf.length : j;
        if (end > i) this.discard(out, 'outside-frame', buf.subarray(i, end), end - i);
        if (j < 0) break;
        this.begin();
        i = j + 1;
        continue;
      }
      if (this.sawEnd) {
        // The previous chunk ended with 0x1C.
        this.sawEnd = false;
        if (buf[i] === MLLP_CR) {
          this.finish(out);
          i++;
          continue;
        }
        this.append(Buffer.from([MLLP_END]));
      }
      let k = i;
      while (k < buf.length && buf[k] !== MLLP_END && buf[k] !== MLLP_START) k++;
      if (k > i) this.append(buf.subarray(i, k));
      if (k >= buf.length) break;
      if (buf[k] === MLLP_START) {
        // A new frame starts before the old one ended: drop the incomplete one.
        if (this.size > this.max) this.oversize(out);
        else this.discard(out, 'unterminated-frame', Buffer.concat(this.parts), this.size);
        this.begin();
        i = k + 1;
        continue;
      }
      // 0x1C: the end if CR follows; undecidable at the chunk's end; payload otherwise.
      if (k + 1 >= buf.length) {
        this.sawEnd = true;
        break;
      }
      if (buf[k + 1] === MLLP_CR) {
        this.finish(out);
        i = k + 2;
      } else {
        this.append(Buffer.from([MLLP_END]));
        i = k + 1;
      }
    }
    return out;
  }

  /** True while a frame has started (0x0B seen) and not ended. */
  get inFrame(): boolean {
    return this.framing;
  }

  /**
   * Ends an unfinished frame (the peer stopped sending, or is leaving): returns its bytes so far
   * (none when no frame is open) and starts afresh.
   */
  abandon(): Buffer | undefined {
    if (!this.framing) return undefined;
    const bytes = Buffer.concat(this.sawEnd ? [...this.parts, Buffer.from([MLLP_END])] : this.parts);
    this.parts = [];
    this.size = 0;
    this.framing = false;
    this.sawEnd = false;
    return bytes;
  }

  /** Bytes of an unfinished frame held back. */
  get pendingBytes(): number {
    return this.size;
  }

  private begin(): void {
    this.parts = [];
    this.size = 0;
    this.framing = true;
    this.sawEnd = false;
  }

  private append(b: Buffer): void {
    if (this.size + b.length > this.max) {
      if (this.size <= this.max) this.oversized++;
      this.size = this.max + 1;
      this.parts = [];
      return;
    }
    this.parts.push(Buffer.from(b));
    this.size += b.length;
  }

  private finish(out: MllpItem[]): void {
    if (this.size <= this.max) {
      const bytes = Buffer.concat(this.parts);
      out.push({ kind: 'message', text: this.encoding ? bytes.toString(this.encoding) : decodeMessageBytes(bytes) });
    }
    else this.oversize(out);
    this.parts = [];
    this.size = 0;
    this.framing = false;
  }

  private oversize(out: MllpItem[]): void {
    out.push({ kind: 'oversized', limit: this.max });
  }

  /** Counts thrown-away bytes and reports them, merged with the report just before when it is of the same kind. */
  private discard(out: MllpItem[], reason: MllpDiscardReason, bytes: Buffer, count: number): void {
    this.discardedBytes += count;
    const last = out[out.length - 1];
    if (last?.kind === 'discarded' && last.reason === reason) {
      last.byteCount += count;
      if (last.bytes.length < DISCARD_KEEP) last.bytes = Buffer.concat([last.bytes, bytes]).subarray(0, DISCARD_KEEP);
      return;
    }
    out.push({ kind: 'discarded', reason, bytes: Buffer.from(bytes.subarray(0, DISCARD_KEEP)), byteCount: count });
  }
}
