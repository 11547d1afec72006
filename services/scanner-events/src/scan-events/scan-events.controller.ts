import { Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ScannerMiddlewareEvent } from '@slidecharge/contracts';
import { CurrentPrincipal, openApiSchema, Principal, ZodValidationPipe } from '@slidecharge/service-kit';
import { CONFIG, ServiceConfig } from '../config';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import {
  BarcodeParam,
  BatchAnswer,
  batchRequestSchema,
  BatchRequestDoc,
  ErrorAnswer,
  EventIdParam,
  IngestAnswer,
  ReceiptView,
  SlideScans,
} from './api';
import { ReceiptRepository } from './receipt.repository';
import { toReceiptView } from './receipt-view';
import { ScanIngestService } from './scan-ingest.service';

@ApiTags('scan events')
@Controller('scan-events')
export class ScanEventsController {
  private readonly batchPipe: ZodValidationPipe<ReturnType<typeof batchRequestSchema>>;

  constructor(
    private readonly ingest: ScanIngestService,
    private readonly receipts: ReceiptRepository,
    @Inject(CONFIG) config: ServiceConfig,
  ) {
    this.batchPipe = new ZodValidationPipe(batchRequestSchema(config.SCAN_BATCH_MAX), 'batch');
  }

  @Post()
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({
    summary: 'Receive one scanner-middleware event',
    description:
      'Validates the event, records a receipt keyed by its eventId and publishes the normalized scan event on scan.events.v1 (through the outbox). ' +
      'A repeat of an eventId already received (by HTTP or Kafka) is answered "duplicate" and publishes nothing.',
  })
  @ApiBody({ schema: openApiSchema(ScannerMiddlewareEvent) })
  @ApiResponse({ status: 202, description: 'Accepted, or a harmless duplicate.', schema: openApiSchema(IngestAnswer, 'output') })
  @ApiBadRequestResponse({ description: 'The event breaks the contract; issues name each field.', schema: openApiSchema(ErrorAnswer, 'output') })
  receive(
    @Body(new ZodValidationPipe(ScannerMiddlewareEvent, 'scan event')) event: ScannerMiddlewareEvent,
    @CurrentPrincipal() principal: Principal,
  ): Promise<IngestAnswer> {
    return this.ingest.ingest(event, 'http', { apiClientId: principal.clientId });
  }

  @Post('batch')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    summary: 'Receive a batch of scanner-middleware events',
    description:
      'Multi-status answer: one result per event, in request order: accepted, duplicate, or rejected with the issues. ' +
      'Each element is validated on its own; an invalid element does not stop the others. At most SCAN_BATCH_MAX (default 500) events.',
  })
  @ApiBody({ schema: openApiSchema(BatchRequestDoc) })
  @ApiResponse({ status: 200, description: 'One result per event.', schema: openApiSchema(BatchAnswer, 'output') })
  @ApiBadRequestResponse({ description: 'The body is not { events: [...] } or has too many events.', schema: openApiSchema(ErrorAnswer, 'output') })
  receiveBatch(@Body() body: unknown, @CurrentPrincipal() principal: Principal): Promise<BatchAnswer> {
    const { events } = this.batchPipe.transform(body);
    return this.ingest.ingestBatch(events, 'http', { apiClientId: principal.clientId });
  }

  @Get(':eventId')
  @ApiOperation({ summary: 'Look up the receipt of a middleware event by its eventId (for middleware support staff)' })
  @ApiParam({ name: 'eventId', description: 'The middleware event id.' })
  @ApiResponse({ status: 200, description: 'The receipt.', schema: openApiSchema(ReceiptView, 'output') })
  @ApiNotFoundResponse({ description: 'No event with this id was received.', schema: openApiSchema(ErrorAnswer, 'output') })
  async receipt(@Param('eventId', new ZodValidationPipe(EventIdParam, 'eventId')) eventId: string): Promise<ReceiptView> {
    const row = await this.receipts.find(eventId);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no scanner event with eventId "${eventId}" has been received` });
    return toReceiptView(row);
  }
}

@ApiTags('scan events')
@Controller('slides')
export class SlideScansController {
  constructor(private readonly receipts: ReceiptRepository) {}

  @Get(':barcode/scans')
  @ApiOperation({ summary: 'All scanner events received for a slide, newest first' })
  @ApiParam({ name: 'barcode', description: 'Slide label barcode.' })
  @ApiResponse({ status: 200, description: 'The receipts (empty when none).', schema: openApiSchema(SlideScans, 'output') })
  @ApiBadRequestResponse({ description: 'The barcode is malformed.', schema: openApiSchema(ErrorAnswer, 'output') })
  async scans(@Param('barcode', new ZodValidationPipe(BarcodeParam, 'barcode')) barcode: string): Promise<SlideScans> {
    const rows = await this.receipts.forSlide(barcode);
    return { slideBarcode: barcode, receipts: rows.map(toReceiptView) };
  }
}
