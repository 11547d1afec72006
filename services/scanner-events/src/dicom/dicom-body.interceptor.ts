import {
  BadRequestException,
  CallHandler,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  NestInterceptor,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { Observable } from 'rxjs';
import { findUnsafeText } from '@slidecharge/contracts';
import { jsonNestingTooDeep, tooDeepRefusal, unsafeTextRefusal } from '@slidecharge/service-kit';
import { CONFIG, ServiceConfig } from '../config';

export const PART10_MEDIA_TYPE = 'application/dicom';
export const DICOM_JSON_MEDIA_TYPE = 'application/dicom+json';

/** A DICOM request body as read: Part 10 bytes (perhaps only the first DICOM_MAX_BYTES) or DICOM JSON. */
export type DicomUpload = { kind: 'part10'; bytes: Buffer; receivedBytes: number } | { kind: 'dicom-json'; value: unknown };

export interface DicomRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  dicomUpload?: DicomUpload;
  [Symbol.asyncIterator](): AsyncIterator<Buffer>;
}

/**
 * Keeps the first `limit` bytes of a request body and reads (and drops) the rest, so the answer goes
 * out on a healthy connection even when a client sends a whole slide file.
 */
export async function readBodyPrefix(stream: AsyncIterable<Buffer>, limit: number): Promise<{ bytes: Buffer; receivedBytes: number }> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let receivedBytes = 0;
  for await (const chunk of stream) {
    receivedBytes += chunk.length;
    if (kept < limit) {
      const part = chunk.subarray(0, limit - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  return { bytes: Buffer.concat(chunks, kept), receivedBytes };
}

/**
 * Reads the body of POST /dicom/instances after the API key was checked (so an unauthenticated caller
 * makes us buffer nothing) and before the Idempotency-Key is looked at (which fingerprints the body):
 * application/dicom as bytes, application/dicom+json as JSON. Any other Content-Type is refused (415).
 */
@Injectable()
export class DicomBodyInterceptor implements NestInterceptor {
  constructor(@Inject(CONFIG) private readonly config: ServiceConfig) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<DicomRequest>();
    const header = request.headers['content-type'];
    const mediaType = (Array.isArray(header) ? header[0] : header)?.split(';')[0]?.trim().toLowerCase() ?? '';
    const limit = this.config.DICOM_MAX_BYTES;
    if (mediaType === PART10_MEDIA_TYPE) {
      const { bytes, receivedBytes } = await readBodyPrefix(request, limit);
      request.body = bytes;
      request.dicomUpload = { kind: 'part10', bytes, receivedBytes };
    } else if (mediaType === DICOM_JSON_MEDIA_TYPE) {
      const { bytes, receivedBytes } = await readBodyPrefix(request, limit);
      if (receivedBytes > limit) {
        throw new HttpException(
          { error: 'payload_too_large', message: `DICOM JSON of ${receivedBytes} bytes is over the limit of ${limit} bytes (DICOM_MAX_BYTES); leave out bulk data` },
          413,
        );
      }
      if (bytes.length === 0) throw new BadRequestException({ error: 'invalid_dicom', message: 'the body is empty: send one DICOM JSON instance' });
      // The checks every application/json body gets (createServiceApp), for this body read here.
      const tooDeep = jsonNestingTooDeep(bytes, this.config.HTTP_JSON_MAX_DEPTH);
      if (tooDeep) throw tooDeepRefusal(tooDeep);
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new BadRequestException({ error: 'invalid_dicom', message: `the body is not JSON: ${(e as Error).message}` });
      }
      const unsafe = findUnsafeText(value, { maxDepth: this.config.HTTP_JSON_MAX_DEPTH });
      if (unsafe) throw unsafeTextRefusal('body', unsafe);
      request.body = value;
      request.dicomUpload = { kind: 'dicom-json', value };
    } else {
      throw new UnsupportedMediaTypeException({
        error: 'unsupported_media_type',
        message:
          `Content-Type ${JSON.stringify(mediaType || '(none)')} is not taken here: send ${PART10_MEDIA_TYPE} (a DICOM Part 10 file, or its first part up to the pixel data) ` +
          `or ${DICOM_JSON_MEDIA_TYPE} (DICOM JSON, PS3.18 F.2)`,
      });
    }
    return next.handle();
  }
}
