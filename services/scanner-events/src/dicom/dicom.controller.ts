import { BadRequestException, Controller, HttpCode, HttpException, Inject, Post, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ScanPurpose } from '@slidecharge/contracts';
import { CurrentPrincipal, openApiSchema, Principal, ZodValidationPipe } from '@slidecharge/service-kit';
import { CONFIG, ServiceConfig } from '../config';
import { IdempotencyDocs, IdempotencyInterceptor } from '../idempotency/idempotency.interceptor';
import { ErrorAnswer } from '../scan-events/api';
import { ScanIngestService } from '../scan-events/scan-ingest.service';
import { scanEventIdOf } from '../scan-events/scan-normalizer';
import { DICOM_JSON_EXAMPLE, DicomIngestAnswer, DicomPurposeQuery } from './dicom.api';
import { DICOM_JSON_MEDIA_TYPE, DicomBodyInterceptor, DicomRequest, PART10_MEDIA_TYPE } from './dicom-body.interceptor';
import { DicomRead, readDicomJson, readPart10 } from './dicom-readers';
import { mapWsiInstance } from './wsi-mapping';

@ApiTags('dicom')
@Controller('dicom')
export class DicomController {
  constructor(
    private readonly ingest: ScanIngestService,
    @Inject(CONFIG) private readonly config: ServiceConfig,
  ) {}

  @Post('instances')
  @HttpCode(202)
  @UseInterceptors(DicomBodyInterceptor, IdempotencyInterceptor)
  @IdempotencyDocs()
  @ApiOperation({
    summary: 'Receive a stored whole-slide image instance (DICOM Part 10 header or DICOM JSON)',
    description:
      'What an image manager sends after storing a slide: the instance as application/dicom (the Part 10 file, or only its first part: ' +
      'everything up to the pixel data (7FE0,0010) is read and the rest ignored) or its attributes as application/dicom+json ' +
      '(PS3.18 F.2, one object or an array holding one). Only VL Whole Slide Microscopy Image Storage (1.2.840.10008.5.1.4.1.1.77.1.6) is taken. ' +
      'The slide barcode comes from Container Identifier (0040,0512), else Barcode Value (0022,1061); a scan.completed event is published ' +
      'on scan.events.v1 with eventId "dicom:<SOP Instance UID>", so a resent instance is a duplicate. Mapping: docs/dicom-mapping.md.',
  })
  @ApiConsumes(PART10_MEDIA_TYPE, DICOM_JSON_MEDIA_TYPE)
  @ApiBody({
    description: 'A DICOM Part 10 file (or its first part), or a DICOM JSON instance.',
    schema: { oneOf: [{ type: 'string', format: 'binary' }, { type: 'object', additionalProperties: true, example: DICOM_JSON_EXAMPLE }] },
  })
  @ApiQuery({ name: 'purpose', required: false, enum: ScanPurpose.options, description: 'Why the slide was scanned (not in DICOM); default diagnostic.' })
  @ApiResponse({ status: 202, description: 'Accepted, or a harmless duplicate of an instance already received.', schema: openApiSchema(DicomIngestAnswer, 'output') })
  @ApiBadRequestResponse({ description: 'invalid_dicom: not DICOM, unreadable, or cut short before the attributes needed.', schema: openApiSchema(ErrorAnswer, 'output') })
  @ApiResponse({ status: 413, description: 'payload_too_large: DICOM JSON over DICOM_MAX_BYTES.', schema: openApiSchema(ErrorAnswer, 'output') })
  @ApiResponse({ status: 415, description: 'unsupported_media_type: Content-Type is neither application/dicom nor application/dicom+json.', schema: openApiSchema(ErrorAnswer, 'output') })
  @ApiResponse({
    status: 422,
    description:
      'unsupported_sop_class: not a whole-slide image; missing_attributes: no SOP Instance UID or no slide barcode; ' +
      'idempotency_key_reused: the Idempotency-Key was used with another request.',
    schema: openApiSchema(ErrorAnswer, 'output'),
  })
  async receive(
    @Req() request: DicomRequest,
    @CurrentPrincipal() principal: Principal,
    @Query('purpose', new ZodValidationPipe(DicomPurposeQuery, 'purpose')) purpose: ScanPurpose,
  ): Promise<DicomIngestAnswer> {
    const upload = request.dicomUpload;
    if (!upload) throw new Error('DicomBodyInterceptor did not run');
    const read: DicomRead = upload.kind === 'part10' ? readPart10(upload.bytes) : readDicomJson(upload.value);
    if (!read.ok) throw new BadRequestException({ error: 'invalid_dicom', message: read.reason });

    const mapping = mapWsiInstance(read.dataset, {
      source: upload.kind,
      transferSyntaxUid: read.transferSyntaxUid,
      defaultUtcOffset: this.config.DICOM_DEFAULT_UTC_OFFSET,
      receivedAt: new Date(),
      purpose,
    });
    if (!mapping.ok) {
      // Attributes missing from a file that was cut short: the file is the problem, not the instance.
      if (read.cutShort && mapping.error === 'missing_attributes') {
        throw new BadRequestException({ error: 'invalid_dicom', message: `${read.cutShort}, and ${mapping.message}`, issues: mapping.issues });
      }
      throw new HttpException({ error: mapping.error, message: mapping.message, issues: mapping.issues }, 422);
    }

    const warnings = [
      ...(upload.kind === 'part10' && upload.receivedBytes > upload.bytes.length
        ? [`only the first ${upload.bytes.length} of ${upload.receivedBytes} bytes were read (DICOM_MAX_BYTES); send the file up to the pixel data`]
        : []),
      ...(read.cutShort ? [read.cutShort] : []),
      ...read.warnings,
      ...mapping.warnings,
    ];
    const facts = { ...mapping.facts, warnings };
    const answer = await this.ingest.ingest(mapping.event, 'http', { apiClientId: principal.clientId, dicom: { ...facts } });
    return {
      eventId: answer.eventId,
      status: answer.status,
      scanId: answer.scanId,
      scanEventId: scanEventIdOf(answer.eventId),
      slideBarcode: mapping.event.slideBarcode,
      ...(mapping.event.accessionNumber !== undefined ? { accessionNumber: mapping.event.accessionNumber } : {}),
      sopInstanceUid: mapping.facts.sopInstanceUid,
      warnings,
    };
  }
}
