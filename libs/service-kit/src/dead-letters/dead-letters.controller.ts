import { Body, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DeadLetterDetail, DeadLetterPage, DeadLetterReason } from '@slidecharge/contracts';
import { DEAD_LETTER_STATES, DeadLetterReplayAnswer } from '@slidecharge/messaging';
import { CurrentPrincipal } from '../auth/access.guard';
import type { Principal } from '../auth/principal';
import { openApiSchema, ZodValidationPipe } from '../http';
import {
  DeadLetterDetailView,
  DeadLetterErrorBody,
  DeadLetterIdParam,
  DeadLetterPageView,
  DeadLetterReplayAnswerView,
  ListDeadLettersQuery,
  ReplayDeadLetterRequest,
} from './dead-letters.dto';
import { DeadLetterNotFoundError, DeadLettersService } from './dead-letters.service';

const errorSchema = openApiSchema(DeadLetterErrorBody, 'output');

/** A 404 for an unknown id; other errors go on. */
async function orNotFound<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (e) {
    if (e instanceof DeadLetterNotFoundError) throw new NotFoundException({ error: 'not_found', message: e.message });
    throw e;
  }
}

@ApiTags('dead-letters')
@Controller('dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiOperation({
    summary: 'Messages this service could not take, newest first (no message body)',
    description:
      'Every message a consumer of this service dead-lettered (invalid JSON, contract violation, rejected, or failing after its retries), ' +
      'with the reason and its replays. ?state=open lists those not yet consumed (never replayed, or whose replay failed).',
  })
  @ApiQuery({ name: 'state', required: false, enum: DEAD_LETTER_STATES })
  @ApiQuery({ name: 'topic', required: false, description: 'the topic it was read from' })
  @ApiQuery({ name: 'reason', required: false, enum: DeadLetterReason.options })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ schema: openApiSchema(DeadLetterPageView, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; issues name it.', schema: errorSchema })
  list(@Query(new ZodValidationPipe(ListDeadLettersQuery, 'query')) query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    return this.deadLetters.list(query);
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One dead letter with its original message (key, headers, value)',
    description: 'The value as UTF-8 text when its bytes decode exactly, else base64, with its size and SHA-256. It may hold patient data: every read is access-audited.',
  })
  @ApiParam({ name: 'id', description: 'the dead letter id (deadLetterId of the record on slidecharge.dead-letter.v1)' })
  @ApiOkResponse({ schema: openApiSchema(DeadLetterDetailView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No dead letter with this id.', schema: errorSchema })
  one(@Param('id', new ZodValidationPipe(DeadLetterIdParam, 'id')) id: string): Promise<DeadLetterDetail> {
    return orNotFound(this.deadLetters.detail(id.toLowerCase()));
  }

  @Post(':id/replay')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Run a dead letter through its consumer again, after a fix',
    description:
      'The stored original goes through the same checks and handler as the consumer group that dead-lettered it, exactly once: an event ' +
      'consumed meanwhile is not applied twice. consumed: taken (state replayed; a later replay does not run again and answers ' +
      'alreadyReplayed). failed-again: the error (no message body); the dead letter stays replayable. Concurrent replays of one dead letter wait for each other.',
  })
  @ApiParam({ name: 'id', description: 'the dead letter id' })
  @ApiBody({ schema: openApiSchema(ReplayDeadLetterRequest) })
  @ApiOkResponse({ schema: openApiSchema(DeadLetterReplayAnswerView, 'output') })
  @ApiBadRequestResponse({ description: 'The body is invalid; issues name the field.', schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No dead letter with this id.', schema: errorSchema })
  replay(
    @Param('id', new ZodValidationPipe(DeadLetterIdParam, 'id')) id: string,
    @Body(new ZodValidationPipe(ReplayDeadLetterRequest)) body: ReplayDeadLetterRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DeadLetterReplayAnswer> {
    return orNotFound(this.deadLetters.replay(id.toLowerCase(), principal, body.justification));
  }
}
