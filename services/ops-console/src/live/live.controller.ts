import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@slidecharge/service-kit';
import { callerOf } from '../upstream/caller';
import { LiveQuery } from './live.dto';
import { LiveService } from './live.service';

interface StreamRequest {
  headers: Record<string, string | string[] | undefined>;
  on(event: 'close', listener: () => void): unknown;
}
interface StreamResponse {
  status(code: number): StreamResponse;
  setHeader(name: string, value: string): unknown;
  flushHeaders(): void;
  write(chunk: string): boolean;
  end(): unknown;
}

@ApiTags('numbers')
@ApiBearerAuth()
@Controller('api')
export class LiveController {
  constructor(private readonly live: LiveService) {}

  @Get('live')
  @ApiOperation({
    summary: 'Live numbers as server-sent events (text/event-stream; send the Authorization header, e.g. with fetch-event-source)',
    description:
      'Events: overview (OpsOverview) at once, on every change of the read model (at most every 2 s) and at least every 15 s; lag (scan-to-charge, 1 h) ' +
      'with it; activity (ChargeActivity) for each new charge or credit, not with ?view=wall. A heartbeat comment every 15 s. The stream ends when the token expires.',
  })
  @ApiQuery({ name: 'view', required: false, enum: ['wall'] })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream.' })
  open(@Query(new ZodValidationPipe(LiveQuery, 'query')) query: LiveQuery, @Req() request: StreamRequest, @Res() response: StreamResponse): void {
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Connection', 'keep-alive');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    const close = this.live.open(response, query.view === 'wall' ? 'wall' : 'full', callerOf(request));
    request.on('close', close);
  }
}
