import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema, ZodValidationPipe } from '@slidecharge/service-kit';
import { ErrorBody } from './qc.dto';
import { RescanPage, RescansQuery } from './rescans.dto';
import { RescansService } from './rescans.service';

@ApiTags('qc')
@Controller()
export class RescansController {
  constructor(private readonly rescans: RescansService) {}

  @Get('qc/rescans')
  @ApiOperation({
    summary: 'Rescan work list: slides whose latest QC verdict failed, one per slide',
    description:
      'A slide leaves the list when a rescan of it passes QC; a rescan that fails again keeps it, with the newer failure and the ' +
      'count of failures since the last pass. Latest failure first; page with limit and the nextCursor of the previous page.',
  })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor from the previous page' })
  @ApiOkResponse({ schema: openApiSchema(RescanPage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; issues name it.', schema: openApiSchema(ErrorBody, 'output') })
  list(@Query(new ZodValidationPipe(RescansQuery, 'query')) query: RescansQuery): Promise<RescanPage> {
    return this.rescans.page(query);
  }
}
