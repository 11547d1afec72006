import { BadRequestException, Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { CaseSnapshot } from '@slidecharge/contracts';
import { actorLabel, CurrentPrincipal, openApiSchema, Principal, ZodValidationPipe } from '@slidecharge/service-kit';
import { z } from 'zod';
import { asHttpError } from './case-http';
import {
  CancelCaseRequest,
  CasePage,
  CasePathParams,
  CaseView,
  ErrorBody,
  ListCasesQuery,
  NewCaseRequest,
  ReplaceCaseRequest,
} from './case.model';
import { CasesService } from './cases.service';
import { MoveSlideRequest, SlideMovePathParams, SlideMoveResponse } from './slide-move.dto';

const snapshotSchema = openApiSchema(CaseSnapshot, 'output');
const errorSchema = openApiSchema(ErrorBody, 'output');

/** The part of the HTTP response the PUT route needs (201 when it created the case). */
interface StatusResponse {
  status(code: number): unknown;
}

/** What the optional billing fields of a case body mean (the schema carries only their shapes). */
const BILLING_FIELDS =
  'Optional billing facts: case `flags` (researchStudy, digitalSignOut, abnOnFile, physicianOffice, reducedService; ' +
  'only flags set to true are kept and published, an absent flag means no); per specimen `modifiers` for its digitization ' +
  'charge (up to 4, such as 59 or Q1, kept in the order sent) and `diagnosisPointers` (1-based positions in `diagnoses`, ' +
  'default the first four; a pointer past the diagnoses is refused with 400 naming specimens.N.diagnosisPointers.M). ' +
  'An empty list is the same as none.';

const TOO_LARGE =
  'The case is larger than ACCESSION_MAX_CASE_BYTES as a case event (`sizeBytes`, `limitBytes`): nothing stored. Split it or shorten its texts.';

const accessionParam = { name: 'accessionNumber', description: 'LIS accession number, e.g. S26-000123', example: 'S26-000123' };

@ApiTags('cases')
@Controller('cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Accession a new case',
    description: `Stores the case at version 1 and publishes case.created (the full case) on lis.case-events.v1. ${BILLING_FIELDS}`,
  })
  @ApiBody({ schema: openApiSchema(NewCaseRequest) })
  @ApiCreatedResponse({ description: 'The stored case.', schema: snapshotSchema })
  @ApiBadRequestResponse({ description: 'The body is invalid; `issues` names each field (e.g. specimens.0.primaryCpt).', schema: errorSchema })
  @ApiConflictResponse({
    description: 'The accession number exists already (use PUT), or a slide barcode belongs to another active case (`conflicts`).',
    schema: errorSchema,
  })
  @ApiPayloadTooLargeResponse({ description: TOO_LARGE, schema: errorSchema })
  async create(@Body(new ZodValidationPipe(NewCaseRequest)) body: NewCaseRequest): Promise<CaseSnapshot> {
    const { accessionNumber, ...details } = body;
    return this.cases.create(accessionNumber, details).catch(rethrow);
  }

  @Put(':accessionNumber')
  @ApiOperation({
    summary: 'Create or replace a case',
    description:
      'Replaces the case details (specimens, slides, payer, diagnoses, flags, modifiers, collection date...) and publishes ' +
      'case.updated with the next version, or creates the case (201, case.created). Details identical to the stored ones ' +
      'change nothing: 200 with the same version and no event, so an LIS may retry freely. A cancelled case cannot be ' +
      'changed (409). A slide barcode that belongs to another active case moves to this case (the LIS re-accessioned it): ' +
      'that case gets version + 1 and case.updated without the slide, in the same transaction. ' +
      `${BILLING_FIELDS}`,
  })
  @ApiParam(accessionParam)
  @ApiBody({ schema: openApiSchema(ReplaceCaseRequest) })
  @ApiOkResponse({ description: 'The case after the request (same version when nothing changed).', schema: snapshotSchema })
  @ApiCreatedResponse({ description: 'The case did not exist and was created at version 1.', schema: snapshotSchema })
  @ApiBadRequestResponse({ description: 'The body or path is invalid; `issues` names each field.', schema: errorSchema })
  @ApiConflictResponse({ description: 'The case is cancelled.', schema: errorSchema })
  @ApiPayloadTooLargeResponse({ description: TOO_LARGE, schema: errorSchema })
  async replace(
    @Param(new ZodValidationPipe(CasePathParams, 'path')) params: z.output<typeof CasePathParams>,
    @Body(new ZodValidationPipe(ReplaceCaseRequest)) body: ReplaceCaseRequest,
    @Res({ passthrough: true }) res: StatusResponse,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CaseSnapshot> {
    const { accessionNumber: inBody, ...details } = body;
    if (inBody !== undefined && inBody !== params.accessionNumber) {
      const message = `body accessionNumber ${inBody} differs from the path's ${params.accessionNumber}; omit it or make them equal`;
      throw new BadRequestException({ error: 'validation_failed', message, issues: [{ path: 'accessionNumber', message }] });
    }
    const change = await this.cases.replace(params.accessionNumber, details, { actor: actorLabel(principal) }).catch(rethrow);
    res.status(change.outcome === 'created' ? HttpStatus.CREATED : HttpStatus.OK);
    return change.snapshot;
  }

  @Post(':accessionNumber/cancel')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Cancel a case',
    description:
      'Cancels the case (final), version + 1, and publishes case.cancelled. Cancelling a cancelled case changes nothing (200, no event). ' +
      'With `patientId`, a case of another patient is not cancelled (409 patient_mismatch, naming no patient).',
  })
  @ApiParam(accessionParam)
  @ApiBody({ schema: openApiSchema(CancelCaseRequest) })
  @ApiOkResponse({ description: 'The cancelled case.', schema: snapshotSchema })
  @ApiBadRequestResponse({ description: 'No reason given.', schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No case has this accession number.', schema: errorSchema })
  @ApiConflictResponse({ description: '`patientId` is not the patient of the case (patient_mismatch): nothing cancelled.', schema: errorSchema })
  async cancel(
    @Param(new ZodValidationPipe(CasePathParams, 'path')) params: z.output<typeof CasePathParams>,
    @Body(new ZodValidationPipe(CancelCaseRequest)) body: CancelCaseRequest,
  ): Promise<CaseSnapshot> {
    const change = await this.cases.cancel(params.accessionNumber, body.reason, body.patientId !== undefined ? { patientId: body.patientId } : {}).catch(rethrow);
    return change.snapshot;
  }

  @Post(':accessionNumber/slides/:barcode/move')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Move a slide to another case',
    description:
      'The LIS re-accessioned a slide: in one transaction the case in the path loses it and `toAccessionNumber` gains it at ' +
      '`toSpecimenId` (block and stain kept); each case gets version + 1 and case.updated, both published together, and ' +
      'the move is recorded with the reason and the caller. Billing then credits a charge that rested on the slide and ' +
      'charges the new case. Repeating a move that is done answers 200 with `moved: false` and publishes nothing. ' +
      'URL-encode the barcode.',
  })
  @ApiParam(accessionParam)
  @ApiParam({ name: 'barcode', description: 'The slide barcode (URL-encoded)', example: 'S26-000123-A1-1' })
  @ApiBody({ schema: openApiSchema(MoveSlideRequest) })
  @ApiOkResponse({ description: 'Both cases after the move.', schema: openApiSchema(SlideMoveResponse, 'output') })
  @ApiBadRequestResponse({ description: 'The body or path is invalid, or the target is the same case (same_case: change a specimen with PUT).', schema: errorSchema })
  @ApiNotFoundResponse({ description: 'Either case does not exist (case_not_found), or the case has no such slide (slide_not_found).', schema: errorSchema })
  @ApiConflictResponse({ description: 'Either case is cancelled (case_cancelled), or the target case has no such specimen (unknown_specimen).', schema: errorSchema })
  @ApiPayloadTooLargeResponse({ description: TOO_LARGE, schema: errorSchema })
  async moveSlide(
    @Param(new ZodValidationPipe(SlideMovePathParams, 'path')) params: SlideMovePathParams,
    @Body(new ZodValidationPipe(MoveSlideRequest)) body: MoveSlideRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<z.output<typeof SlideMoveResponse>> {
    const request = { fromAccessionNumber: params.accessionNumber, barcode: params.barcode, ...body };
    return this.cases.moveSlide(request, actorLabel(principal)).catch(rethrow);
  }

  @Get(':accessionNumber')
  @ApiOperation({ summary: 'Read a case', description: 'The current case, as the last case event carried it.' })
  @ApiParam(accessionParam)
  @ApiOkResponse({ description: 'The case, with the trace id of its current version.', schema: openApiSchema(CaseView, 'output') })
  @ApiNotFoundResponse({ description: 'No case has this accession number.', schema: errorSchema })
  async get(@Param(new ZodValidationPipe(CasePathParams, 'path')) params: z.output<typeof CasePathParams>): Promise<CaseView> {
    return this.cases.get(params.accessionNumber).catch(rethrow);
  }

  @Get()
  @ApiOperation({ summary: 'List cases (operations)', description: 'Newest first, one page at a time; follow nextCursor for older cases.' })
  @ApiQuery({ name: 'status', required: false, enum: ['active', 'cancelled'] })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor from the previous page' })
  @ApiOkResponse({ description: 'A page of cases.', schema: openApiSchema(CasePage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; `issues` names it.', schema: errorSchema })
  list(@Query(new ZodValidationPipe(ListCasesQuery, 'query')) query: ListCasesQuery): Promise<CasePage> {
    return this.cases.list(query);
  }
}

function rethrow(error: unknown): never {
  throw asHttpError(error);
}
