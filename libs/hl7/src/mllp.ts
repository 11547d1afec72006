/** MLLP framing (0x0B message 0x1C 0x0D) as pure buffer logic: no sockets here. */

export const MLLP_START = 0x0b;
export const MLLP_END = 0x1c;
export const MLLP_CR = 0x0d;

/** Wraps one message in an MLLP frame (UTF-8 by default). */
export function frame(message: string | Uint8Array, encoding: BufferEncoding = 'utf8'): Buffer {
  const body = typeof message === 'string' ? Buffer.from(message, encoding) : Buffer.from(message);
  return Buffer.concat([Buffer.from([MLLP_START]), body, Buffer.from([MLLP_END, MLLP_CR])]);
}

export interface MllpDecoderOptions {
  encoding?: BufferEncoding;
  /** A frame longer than this is dropped (and counted in `oversized`); default 10 MiB. */
  maxMessageBytes?: number;
}

/**
 * Streaming MLLP decoder: feed it whatever the socket delivers (frames split across chunks, several
 * frames in one chunk) and it returns the complete messages. Bytes outside a frame are skipped and
 * counted in `discardedBytes`. Decoding to text happens per whole frame, so multi-byte characters
 * split across chunks are safe.
 */
export class MllpDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  private inFrame = false;
  private sawEnd = false;
  private readonly encoding: BufferEncoding;
  private readonly max: number;
  discardedBytes = 0;
  oversized = 0;

  constructor(options: MllpDecoderOptions = {}) {
    this.encoding = options.encoding ?? 'utf8';
    this.max = options.maxMessageBytes ?? 10 * 1024 * 1024;
  }

  /** Feeds a chunk; returns the messages completed by it, in order. */
  push(chunk: Uint8Array): string[] {
    const out: string[] = [];
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < buf.length) {
      if (!this.inFrame) {
        const j = buf.indexOf(MLLP_START, i);
        if (j < 0) {
          this.discardedBytes += buf.length - i;
          break;
        }
        this.discardedBytes += j - i;
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
        this.discardedBytes += Math.min(this.size, this.max);
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

  /** Bytes of an unfinished frame held back. */
  get pendingBytes(): number {
    return this.size;
  }

  private begin(): void {
    this.parts = [];
    this.size = 0;
    this.inFrame = true;
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

  private finish(out: string[]): void {
    if (this.size <= this.max) out.push(Buffer.concat(this.parts).toString(this.encoding));
    this.parts = [];
    this.size = 0;
    this.inFrame = false;
  }
}
