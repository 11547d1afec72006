import { Body, Controller, Get, HttpCode, HttpException, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@slidecharge/service-kit';
import { callerOf } from '../upstream/caller';
import { CaseSearchQuery, DeadLetterParams, DeadLettersQuery, forwardedBody } from './actions.dto';
import { forwardedQuery, MergedDeadLetters, PassThroughService, StatusResponse } from './pass-through.service';

type ConsoleRequest = { headers: Record<string, string | string[] | undefined>; query: Record<string, unknown> };

/** The rescan work list (qc), dead letters (scanner-events, qc, billing) and case search (accession), forwarded under the caller's token. */
@ApiTags('actions (forwarded)')
@ApiBearerAuth()
@Controller('api')
export class LabListsController {
  constructor(private readonly pass: PassThroughService) {}

  @Get('qc/rescans')
  @ApiOperation({ summary: 'qc GET /qc/rescans' })
  rescans(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'qc', { method: 'GET', segments: ['qc', 'rescans'], query: forwardedQuery(req.query) }, callerOf(req));
  }

  @Get('dead-letters')
  @ApiOperation({ summary: 'GET /dead-letters of scanner-events, qc and billing (or ?service=), merged newest first; each item names its service' })
  @ApiQuery({ name: 'service', required: false, enum: ['scanner-events', 'qc', 'billing'] })
  @ApiQuery({ name: 'state', required: false, enum: ['open', 'replayed', 'replay-failed'] })
  @ApiQuery({ name: 'limit', required: false })
  deadLetters(@Query(new ZodValidationPipe(DeadLettersQuery, 'query')) query: DeadLettersQuery, @Req() req: ConsoleRequest): Promise<MergedDeadLetters> {
    const upstreamQuery = { ...(query.state ? { state: query.state } : {}), ...(query.limit ? { limit: String(query.limit) } : {}) };
    return this.pass.deadLetters(query.service ? [query.service] : [], upstreamQuery, callerOf(req));
  }

  @Get('dead-letters/:service/:id')
  @ApiOperation({ summary: '{service} GET /dead-letters/{id}' })
  @ApiParam({ name: 'service', enum: ['scanner-events', 'qc', 'billing'] })
  @ApiParam({ name: 'id' })
  deadLetter(@Param(new ZodValidationPipe(DeadLetterParams, 'path')) params: DeadLetterParams, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, params.service, { method: 'GET', segments: ['dead-letters', params.id] }, callerOf(req));
  }

  @Post('dead-letters/:service/:id/replay')
  @HttpCode(200)
  @ApiOperation({ summary: '{service} POST /dead-letters/{id}/replay (body: ActionRequest { justification })' })
  @ApiParam({ name: 'service', enum: ['scanner-events', 'qc', 'billing'] })
  @ApiParam({ name: 'id' })
  replay(@Param(new ZodValidationPipe(DeadLetterParams, 'path')) params: DeadLetterParams, @Body() body: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, params.service, { method: 'POST', segments: ['dead-letters', params.id, 'replay'], body: forwardedBody('replay', body) }, callerOf(req));
  }

  @Get('cases')
  @ApiOperation({
    summary: 'Cases: ?search=<accession number> finds one (accession GET /cases/{accessionNumber}); without it, accession GET /cases (status, limit, cursor)',
  })
  @ApiQuery({ name: 'search', required: false, description: 'an accession number' })
  async cases(@Query(new ZodValidationPipe(CaseSearchQuery, 'query')) query: CaseSearchQuery, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    const caller = callerOf(req);
    if (query.search === undefined) return this.pass.forward(res, 'accession', { method: 'GET', segments: ['cases'], query: forwardedQuery(req.query, ['search']) }, caller);
    const answer = await this.pass.call('accession', { method: 'GET', segments: ['cases', query.search] }, caller);
    if (answer.status === 404) return { items: [] };
    if (answer.status !== 200) throw new HttpException(answer.body ?? { error: 'upstream_error', message: `accession answered HTTP ${answer.status}` }, answer.status);
    return { items: [answer.body] };
  }
}
