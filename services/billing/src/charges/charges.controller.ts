import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema, ZodValidationPipe } from '@slidecharge/service-kit';
import { BillingQueryService } from './billing-query.service';
import { AccessionNumberParam, CaseBillingView, ChargePage, ChargeView, ListChargesQuery } from './charges.dto';
import { ChargeIdParam } from '../charge/charge.dto';
import { ErrorBody } from '../error-body.dto';

const errorSchema = openApiSchema(ErrorBody, 'output');

@ApiTags('charges')
@Controller()
export class ChargesController {
  constructor(private readonly billing: BillingQueryService) {}

  @Get('charges')
  @ApiOperation({
    summary: 'Charges, oldest first, in every state',
    description:
      'Digitization charges (0753T and siblings) in the order they were decided, without their decision trace and audit trail. ' +
      'Filter by accession, state and decision time; page with limit and the nextCursor of the previous page.',
  })
  @ApiQuery({ name: 'accession', required: false, description: 'only the charges of this accession number' })
  @ApiQuery({
    name: 'status',
    required: false,
    enum: ['held', 'posted', 'do-not-send', 'voided', 'credited'],
    description: 'only charges in this state (held = in the review queue)',
  })
  @ApiQuery({ name: 'since', required: false, description: 'only charges decided at or after this ISO date-time (or YYYY-MM-DD, UTC)' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor from the previous page' })
  @ApiOkResponse({ schema: openApiSchema(ChargePage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; issues name it.', schema: errorSchema })
  list(@Query(new ZodValidationPipe(ListChargesQuery, 'query')) query: ListChargesQuery): Promise<ChargePage> {
    return this.billing.listCharges(query);
  }

  @Get('charges/:chargeId')
  @ApiOperation({
    summary: 'One charge with its decision trace and audit trail',
    description:
      'The charge as posted on billing.charges.v1 (or as it would be, while held), its state, the credit that reversed it if any, ' +
      'every rule step that decided it (trace) and every state change with who, when and why (audit).',
  })
  @ApiParam({ name: 'chargeId', description: 'chargeId (a UUID derived from the chargeKey)' })
  @ApiOkResponse({ schema: openApiSchema(ChargeView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No charge with this id.', schema: errorSchema })
  async one(@Param('chargeId', new ZodValidationPipe(ChargeIdParam, 'chargeId')) chargeId: string): Promise<ChargeView> {
    const charge = await this.billing.charge(chargeId.toLowerCase());
    if (!charge) throw new NotFoundException({ error: 'not_found', message: `no charge ${chargeId}` });
    return charge;
  }

  @Get('cases/:accessionNumber/billing')
  @ApiTags('cases')
  @ApiOperation({
    summary: 'The billing picture of one case',
    description:
      'The case facts billing holds (latest version), every scan of its slides with QC verdicts, its charges, and for each ' +
      'specimen that earns no new charge the reason (waiting for QC, QC failed, no completed scan, already charged...).',
  })
  @ApiParam({ name: 'accessionNumber', description: 'accession number, e.g. S26-000123' })
  @ApiOkResponse({ schema: openApiSchema(CaseBillingView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'Billing has not received this case (yet).', schema: errorSchema })
  async caseBilling(
    @Param('accessionNumber', new ZodValidationPipe(AccessionNumberParam, 'accessionNumber')) accessionNumber: string,
  ): Promise<CaseBillingView> {
    const view = await this.billing.caseBilling(accessionNumber);
    if (!view) throw new NotFoundException({ error: 'not_found', message: `billing has no case ${accessionNumber}` });
    return view;
  }
}
