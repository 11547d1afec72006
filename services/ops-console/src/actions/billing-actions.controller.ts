import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ZodValidationPipe } from '@slidecharge/service-kit';
import { callerOf } from '../upstream/caller';
import { ChargeIdParam, DeliveryIdParam, forwardedBody, ScanIdParam } from './actions.dto';
import { forwardedQuery, PassThroughService, StatusResponse } from './pass-through.service';

type ConsoleRequest = { headers: Record<string, string | string[] | undefined>; query: Record<string, unknown> };

/**
 * Billing's work lists and actions, forwarded to billing under the caller's own token: billing decides
 * who may do what (its 403 reaches the browser), checks the body and audits the action.
 */
@ApiTags('actions (forwarded to billing)')
@ApiBearerAuth()
@Controller('api')
export class BillingActionsController {
  constructor(private readonly pass: PassThroughService) {}

  @Get('review-queue')
  @ApiOperation({ summary: 'billing GET /review-queue' })
  reviewQueue(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'GET', segments: ['review-queue'], query: forwardedQuery(req.query) }, callerOf(req));
  }

  @Get('charges/:chargeId')
  @ApiOperation({ summary: 'billing GET /charges/{chargeId}' })
  @ApiParam({ name: 'chargeId' })
  charge(@Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'GET', segments: ['charges', chargeId] }, callerOf(req));
  }

  @Post('charges/:chargeId/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'billing POST /charges/{chargeId}/release (body: ActionRequest { justification })' })
  @ApiParam({ name: 'chargeId' })
  release(@Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string, @Body() body: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'POST', segments: ['charges', chargeId, 'release'], body: forwardedBody('release', body) }, callerOf(req));
  }

  @Post('charges/:chargeId/void')
  @HttpCode(200)
  @ApiOperation({ summary: 'billing POST /charges/{chargeId}/void (ActionRequest { justification } goes as billing\'s { reason })' })
  @ApiParam({ name: 'chargeId' })
  void(@Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string, @Body() body: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'POST', segments: ['charges', chargeId, 'void'], body: forwardedBody('void', body) }, callerOf(req));
  }

  @Get('deliveries')
  @ApiOperation({ summary: 'billing GET /deliveries' })
  deliveries(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'GET', segments: ['deliveries'], query: forwardedQuery(req.query) }, callerOf(req));
  }

  @Post('deliveries/:deliveryId/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'billing POST /deliveries/{deliveryId}/retry (ActionRequest { justification } goes as billing\'s { comment })' })
  @ApiParam({ name: 'deliveryId' })
  retry(@Param('deliveryId', new ZodValidationPipe(DeliveryIdParam, 'deliveryId')) deliveryId: string, @Body() body: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'POST', segments: ['deliveries', deliveryId, 'retry'], body: forwardedBody('retry', body) }, callerOf(req));
  }

  @Get('unmatched-scans')
  @ApiOperation({ summary: 'billing GET /unmatched-scans' })
  unmatched(@Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'GET', segments: ['unmatched-scans'], query: forwardedQuery(req.query) }, callerOf(req));
  }

  @Post('unmatched-scans/:scanId/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'billing POST /unmatched-scans/{scanId}/dismiss (ActionRequest { justification } goes as billing\'s { reason })' })
  @ApiParam({ name: 'scanId' })
  dismiss(@Param('scanId', new ZodValidationPipe(ScanIdParam, 'scanId')) scanId: string, @Body() body: unknown, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: StatusResponse): Promise<unknown> {
    return this.pass.forward(res, 'billing', { method: 'POST', segments: ['unmatched-scans', scanId, 'dismiss'], body: forwardedBody('dismiss', body) }, callerOf(req));
  }
}
