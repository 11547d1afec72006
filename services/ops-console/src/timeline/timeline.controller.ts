import { Controller, Get, Param, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { CaseTimeline } from '@slidecharge/contracts';
import { ZodValidationPipe } from '@slidecharge/service-kit';
import { AccessionNumberParam } from '../actions/actions.dto';
import { callerOf } from '../upstream/caller';
import { TimelineService } from './timeline.service';

@ApiTags('cases')
@ApiBearerAuth()
@Controller('api')
export class TimelineController {
  constructor(private readonly timelines: TimelineService) {}

  @Get('cases/:accessionNumber/timeline')
  @ApiOperation({
    summary: "A case's timeline across the services, oldest first",
    description:
      'Case versions, slide scans, QC verdicts, billing decisions with their rule trace, charges, credits, actions by people and DFT deliveries. ' +
      'Sources that could not be read are listed in missing; the rest is shown.',
  })
  @ApiParam({ name: 'accessionNumber' })
  @ApiOkResponse({ description: 'CaseTimeline (libs/contracts/src/ops-console.ts)' })
  timeline(@Param('accessionNumber', new ZodValidationPipe(AccessionNumberParam, 'accessionNumber')) accessionNumber: string, @Req() req: { headers: Record<string, string | string[] | undefined> }): Promise<CaseTimeline> {
    return this.timelines.timeline(accessionNumber, callerOf(req));
  }
}
