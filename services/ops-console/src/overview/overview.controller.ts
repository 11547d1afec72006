import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { LagSeries, OpsOverview } from '@slidecharge/contracts';
import { ZodValidationPipe } from '@slidecharge/service-kit';
import { callerOf } from '../upstream/caller';
import { ChargeLagQuery } from './overview.dto';
import { OverviewService } from './overview.service';

type HeaderRequest = { headers: Record<string, string | string[] | undefined> };

@ApiTags('numbers')
@ApiBearerAuth()
@Controller('api')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  @Get('overview')
  @ApiOperation({
    summary: 'Every number of the console (OPS_METRICS), as of now',
    description:
      'Projection numbers from the read model; review queue, rescans, unmatched scans, dead letters, deliveries and readiness from the ' +
      "owning services' APIs under the caller's own token; consumer lag from Kafka. A source that fails gives { value: null, unavailable: what to do }.",
  })
  @ApiOkResponse({ description: 'OpsOverview (libs/contracts/src/ops-console.ts)' })
  get(@Req() request: HeaderRequest): Promise<OpsOverview> {
    return this.overview.overview(callerOf(request));
  }

  @Get('charge-lag')
  @ApiOperation({ summary: 'The charge lag chart: percentiles per bucket (1 min over 1 h, 15 min over 24 h)' })
  @ApiQuery({ name: 'measure', required: false, enum: ['scan-to-charge', 'case-to-charge'] })
  @ApiQuery({ name: 'window', required: false, enum: ['1h', '24h'] })
  @ApiOkResponse({ description: 'LagSeries (libs/contracts/src/ops-console.ts)' })
  @ApiBadRequestResponse({ description: 'measure or window is not one of the values.' })
  lag(@Query(new ZodValidationPipe(ChargeLagQuery, 'query')) query: ChargeLagQuery): Promise<LagSeries> {
    return this.overview.lagSeries(query.measure, query.window);
  }
}
