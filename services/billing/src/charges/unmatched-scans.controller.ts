import { Body, ConflictException, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { actorLabel, CurrentPrincipal, openApiSchema, Principal, ZodValidationPipe } from '@slidecharge/service-kit';
import { DismissScanRequest, ScanIdParam, UnmatchedScansPage, UnmatchedScansQuery, UnmatchedScanView } from './unmatched-scans.dto';
import { ScanNotFoundError, ScanStateError, UnmatchedScansService } from './unmatched-scans.service';
import { ErrorBody } from '../error-body.dto';

const errorSchema = openApiSchema(ErrorBody, 'output');

@ApiTags('scans')
@Controller('unmatched-scans')
export class UnmatchedScansController {
  constructor(private readonly scans: UnmatchedScansService) {}

  @Get()
  @ApiOperation({
    summary: 'Work list: completed scans whose slide no case has, newest first',
    description:
      'A scan waits here (state open) until a case with its slide barcode arrives (state matched: it is charged as usual) or a ' +
      'person dismisses it with a reason (state dismissed). Filter by scanner, barcode prefix and age; page with limit and nextCursor.',
  })
  @ApiQuery({ name: 'state', required: false, enum: ['open', 'matched', 'dismissed'], description: 'default open' })
  @ApiQuery({ name: 'scannerId', required: false, description: 'only scans from this scanner' })
  @ApiQuery({ name: 'barcodePrefix', required: false, description: 'only slide barcodes starting with this text' })
  @ApiQuery({ name: 'receivedAfter', required: false, description: 'only scans received at or after this ISO date-time (or YYYY-MM-DD, UTC)' })
  @ApiQuery({ name: 'receivedBefore', required: false, description: 'only scans received before this ISO date-time (or YYYY-MM-DD, UTC)' })
  @ApiQuery({ name: 'olderThanHours', required: false, schema: { type: 'integer', minimum: 0 }, description: 'only scans waiting at least this many hours' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor from the previous page' })
  @ApiOkResponse({ schema: openApiSchema(UnmatchedScansPage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; issues name it.', schema: errorSchema })
  list(@Query(new ZodValidationPipe(UnmatchedScansQuery, 'query')) query: UnmatchedScansQuery): Promise<UnmatchedScansPage> {
    return this.scans.list(query);
  }

  @Post(':scanId/dismiss')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Dismiss an open unmatched scan: no case will take it',
    description:
      'Needs a reason; kept on the scan with the signed-in person (user name and token subject) and the time. A case that takes ' +
      'the slide later still charges it (the scan becomes matched).',
  })
  @ApiParam({ name: 'scanId', description: 'scanId of a completed scan on the work list' })
  @ApiBody({ schema: openApiSchema(DismissScanRequest) })
  @ApiOkResponse({ description: 'The scan, now dismissed.', schema: openApiSchema(UnmatchedScanView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No completed scan with this id.', schema: errorSchema })
  @ApiConflictResponse({ description: 'The scan is not open: a case has its slide, or it was dismissed already.', schema: errorSchema })
  async dismiss(
    @Param('scanId', new ZodValidationPipe(ScanIdParam, 'scanId')) scanId: string,
    @Body(new ZodValidationPipe(DismissScanRequest)) body: DismissScanRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UnmatchedScanView> {
    try {
      return await this.scans.dismiss(scanId, actorLabel(principal), body.reason);
    } catch (e) {
      if (e instanceof ScanNotFoundError) throw new NotFoundException({ error: 'not_found', message: e.message });
      if (e instanceof ScanStateError) throw new ConflictException({ error: 'wrong_state', message: e.message });
      throw e;
    }
  }
}
