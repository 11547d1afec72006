import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema, ZodValidationPipe } from '@slidecharge/service-kit';
import { ErrorBody, ListResultsQuery, QcResultPage, QcResultView, QcRulesView, ScanIdParam, SlideBarcodeParam, SlideQcView } from './qc.dto';
import { QcService } from './qc.service';

const errorSchema = openApiSchema(ErrorBody, 'output');

@ApiTags('qc')
@Controller()
export class QcController {
  constructor(private readonly qc: QcService) {}

  @Get('qc/rules')
  @ApiOperation({ summary: 'The QC rule set in force', description: 'Thresholds every completed scan is judged against (from QC_RULES_FILE or the built-in defaults).' })
  @ApiOkResponse({ schema: openApiSchema(QcRulesView, 'output') })
  rules(): QcRulesView {
    return this.qc.rulesInForce();
  }

  @Get('qc/results/:scanId')
  @ApiOperation({ summary: 'The verdict of one scan', description: 'Checks, reasons and the rule set version of the scan attempt.' })
  @ApiParam({ name: 'scanId', description: 'scanId of the scan attempt (from scan.events.v1)' })
  @ApiOkResponse({ schema: openApiSchema(QcResultView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No verdict for this scan (not completed, not yet judged, or unknown).', schema: errorSchema })
  async result(@Param('scanId', new ZodValidationPipe(ScanIdParam, 'scanId')) scanId: string): Promise<QcResultView> {
    const found = await this.qc.result(scanId);
    if (!found) throw new NotFoundException({ error: 'not_found', message: `no QC verdict for scan ${scanId}` });
    return found;
  }

  @Get('qc/results')
  @ApiOperation({
    summary: 'Verdicts, newest first',
    description:
      'With passed=false: every failed verdict, including slides rescanned and passed since (the rescan work list is GET /qc/rescans). ' +
      'Page with limit and the nextCursor of the previous page.',
  })
  @ApiQuery({ name: 'passed', required: false, enum: ['true', 'false'], description: 'only passed (true) or failed (false) scans' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor from the previous page' })
  @ApiOkResponse({ schema: openApiSchema(QcResultPage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; issues name it.', schema: errorSchema })
  results(@Query(new ZodValidationPipe(ListResultsQuery, 'query')) query: ListResultsQuery): Promise<QcResultPage> {
    return this.qc.results(query);
  }

  @Get('slides/:barcode/qc')
  @ApiOperation({ summary: 'Every verdict of a slide', description: 'One per scan attempt of the slide, newest first; empty when none was judged yet.' })
  @ApiParam({ name: 'barcode', description: 'slide label barcode' })
  @ApiOkResponse({ schema: openApiSchema(SlideQcView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  slide(@Param('barcode', new ZodValidationPipe(SlideBarcodeParam, 'barcode')) barcode: string): Promise<SlideQcView> {
    return this.qc.slideVerdicts(barcode);
  }
}
