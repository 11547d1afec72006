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
import { BillingQueryService } from '../charges/billing-query.service';
import { ChargeView, ReleaseChargeRequest, ReviewQueueQuery, ReviewQueueView, VoidChargeRequest } from '../charges/charges.dto';
import { ChargeNotFoundError, ChargeStateError, ReviewService } from './review.service';
import { ChargeIdParam } from '../charge/charge.dto';
import { ErrorBody } from '../error-body.dto';

const errorSchema = openApiSchema(ErrorBody, 'output');

function httpError(error: unknown): unknown {
  if (error instanceof ChargeNotFoundError) return new NotFoundException({ error: 'not_found', message: error.message });
  if (error instanceof ChargeStateError) return new ConflictException({ error: 'wrong_state', message: error.message });
  return error;
}

@ApiTags('review queue')
@Controller()
export class ReviewController {
  constructor(
    private readonly review: ReviewService,
    private readonly billing: BillingQueryService,
  ) {}

  @Get('review-queue')
  @ApiOperation({
    summary: 'Charges held for review, oldest first',
    description:
      'Each with its hold reasons (payer policy, unit limit, missing digital sign-out, diagnosis pointers, refused payer modifier). ' +
      'Release one with a justification, or void it.',
  })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } })
  @ApiQuery({ name: 'payer', required: false, description: 'only this payer id' })
  @ApiOkResponse({ schema: openApiSchema(ReviewQueueView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  queue(@Query(new ZodValidationPipe(ReviewQueueQuery, 'query')) query: ReviewQueueQuery): Promise<ReviewQueueView> {
    return this.billing.reviewQueue(query);
  }

  @Post('charges/:chargeId/release')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Release a held charge: it goes onto the charges topic',
    description: 'Needs a justification; it is kept on the charge and in its audit trail with the signed-in reviewer (user name and token subject).',
  })
  @ApiParam({ name: 'chargeId', description: 'chargeId of a held charge' })
  @ApiBody({ schema: openApiSchema(ReleaseChargeRequest) })
  @ApiOkResponse({ description: 'The charge, now posted.', schema: openApiSchema(ChargeView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ schema: errorSchema })
  @ApiConflictResponse({ description: 'The charge is not held (released or voided already, or never held).', schema: errorSchema })
  async release(
    @Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string,
    @Body(new ZodValidationPipe(ReleaseChargeRequest)) body: ReleaseChargeRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ChargeView> {
    const id = chargeId.toLowerCase();
    try {
      await this.review.release(id, actorLabel(principal), body.justification);
    } catch (e) {
      throw httpError(e);
    }
    return (await this.billing.charge(id)) as ChargeView;
  }

  @Post('charges/:chargeId/void')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Void a held (or do-not-send) charge: it will never be sent',
    description: 'A posted charge cannot be voided: it is reversed by a credit when the case changes.',
  })
  @ApiParam({ name: 'chargeId', description: 'chargeId of a held or do-not-send charge' })
  @ApiBody({ schema: openApiSchema(VoidChargeRequest) })
  @ApiOkResponse({ description: 'The charge, now voided.', schema: openApiSchema(ChargeView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ schema: errorSchema })
  @ApiConflictResponse({ description: 'The charge is posted, voided or credited already.', schema: errorSchema })
  async void(
    @Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string,
    @Body(new ZodValidationPipe(VoidChargeRequest)) body: VoidChargeRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ChargeView> {
    const id = chargeId.toLowerCase();
    try {
      await this.review.void(id, actorLabel(principal), body.reason);
    } catch (e) {
      throw httpError(e);
    }
    return (await this.billing.charge(id)) as ChargeView;
  }
}
