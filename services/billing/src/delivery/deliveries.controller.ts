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
import { DeliveriesService } from './deliveries.service';
import { ChargeDeliveriesView, DeliveryIdParam, DeliveryPage, DeliveryView, ListDeliveriesQuery, RetryDeliveryRequest } from './delivery.dto';
import { DeliveryNotFoundError, DeliveryStateError } from './delivery.repository';
import { ChargeIdParam } from '../charge/charge.dto';
import { ErrorBody } from '../error-body.dto';

const errorSchema = openApiSchema(ErrorBody, 'output');

@ApiTags('deliveries')
@Controller()
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get('charges/:chargeId/deliveries')
  @ApiOperation({
    summary: 'Delivery of one charge to the billing system (DFT^P03 over MLLP), with every attempt',
    description:
      'The DFT^P03 of the charge (FT1-6 = CG) and, once it is credited, of its credit (FT1-6 = CD, FT1-2 = the charge id): ' +
      'state (pending, in-flight, acked, failed), the MSH-10 every attempt carries, the message as sent, and the history of ' +
      'attempts with the ACK or error. Empty when the charge was never queued (held, never posted, or posted while delivery was off).',
  })
  @ApiParam({ name: 'chargeId', description: 'chargeId' })
  @ApiOkResponse({ schema: openApiSchema(ChargeDeliveriesView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No charge with this id.', schema: errorSchema })
  async ofCharge(@Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string): Promise<ChargeDeliveriesView> {
    const view = await this.deliveries.ofCharge(chargeId.toLowerCase());
    if (!view) throw new NotFoundException({ error: 'not_found', message: `no charge ${chargeId}` });
    return view;
  }

  @Get('deliveries')
  @ApiOperation({
    summary: 'DFT^P03 deliveries, oldest first (on-call: ?state=failed)',
    description:
      'Deliveries of charges and credits to the billing system, without the message and history (GET /deliveries/{deliveryId} ' +
      'has them), with the count per state. A failed one gave up after the maximum attempts: find out why (lastError), then retry it.',
  })
  @ApiQuery({ name: 'state', required: false, enum: ['pending', 'in-flight', 'acked', 'failed'] })
  @ApiQuery({ name: 'accession', required: false, description: 'only the deliveries of this accession number' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } })
  @ApiOkResponse({ schema: openApiSchema(DeliveryPage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; issues name it.', schema: errorSchema })
  list(@Query(new ZodValidationPipe(ListDeliveriesQuery, 'query')) query: ListDeliveriesQuery): Promise<DeliveryPage> {
    return this.deliveries.list(query);
  }

  @Get('deliveries/:deliveryId')
  @ApiOperation({ summary: 'One DFT^P03 delivery with its message and every attempt' })
  @ApiParam({ name: 'deliveryId', description: 'deliveryId' })
  @ApiOkResponse({ schema: openApiSchema(DeliveryView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No delivery with this id.', schema: errorSchema })
  async one(@Param('deliveryId', new ZodValidationPipe(DeliveryIdParam, 'deliveryId')) deliveryId: string): Promise<DeliveryView> {
    const view = await this.deliveries.one(deliveryId.toLowerCase());
    if (!view) throw new NotFoundException({ error: 'not_found', message: `no delivery ${deliveryId}` });
    return view;
  }

  @Post('deliveries/:deliveryId/retry')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Send a failed delivery again',
    description:
      'For a delivery that gave up after the maximum attempts (state failed): it becomes pending, due now, with its attempts counted ' +
      'afresh; it carries the same MSH-10 as before. Fix the cause first (lastError says what the billing system answered).',
  })
  @ApiParam({ name: 'deliveryId', description: 'deliveryId of a failed delivery' })
  @ApiBody({ schema: openApiSchema(RetryDeliveryRequest) })
  @ApiOkResponse({ description: 'The delivery, now pending.', schema: openApiSchema(DeliveryView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ schema: errorSchema })
  @ApiConflictResponse({ description: 'The delivery is not failed (pending and in-flight ones retry by themselves; acked ones are never sent again).', schema: errorSchema })
  async retry(
    @Param('deliveryId', new ZodValidationPipe(DeliveryIdParam, 'deliveryId')) deliveryId: string,
    @Body(new ZodValidationPipe(RetryDeliveryRequest)) body: RetryDeliveryRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeliveryView> {
    try {
      return await this.deliveries.retry(deliveryId.toLowerCase(), actorLabel(principal), body.comment);
    } catch (e) {
      if (e instanceof DeliveryNotFoundError) throw new NotFoundException({ error: 'not_found', message: e.message });
      if (e instanceof DeliveryStateError) throw new ConflictException({ error: 'wrong_state', message: e.message });
      throw e;
    }
  }
}
