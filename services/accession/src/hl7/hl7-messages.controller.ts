import { Controller, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { openApiSchema, ZodValidationPipe } from '@slidecharge/service-kit';
import { z } from 'zod';
import { ErrorBody } from '../cases/case.model';
import { HL7_OUTCOMES } from './hl7-intake';
import { Hl7MessageDetail, Hl7MessagePage, Hl7MessagePathParams, Hl7MessageSummary, ListHl7MessagesQuery } from './hl7-message.model';
import { Hl7MessageRepository, StoredHl7Message } from './hl7-message.repository';

const errorSchema = openApiSchema(ErrorBody, 'output');

function summary(m: StoredHl7Message): Hl7MessageSummary {
  return {
    id: m.id,
    receivedAt: m.receivedAt.toISOString(),
    ...(m.peer !== undefined ? { peer: m.peer } : {}),
    ...(m.clientCertificate !== undefined ? { clientCertificate: m.clientCertificate } : {}),
    sendingApplication: m.sendingApplication,
    sendingFacility: m.sendingFacility,
    ...(m.controlId !== undefined ? { controlId: m.controlId } : {}),
    ...(m.messageType !== undefined ? { messageType: m.messageType } : {}),
    ...(m.version !== undefined ? { version: m.version } : {}),
    ...(m.orderControl !== undefined ? { orderControl: m.orderControl } : {}),
    ...(m.accessionNumber !== undefined ? { accessionNumber: m.accessionNumber } : {}),
    ackCode: m.ackCode,
    outcome: m.outcome,
    ...(m.caseVersion !== undefined ? { caseVersion: m.caseVersion } : {}),
    ...(m.reason !== undefined ? { reason: m.reason } : {}),
    ...(m.duplicateOf !== undefined ? { duplicateOf: m.duplicateOf } : {}),
  };
}

/** For interface analysts: every HL7 message received over MLLP, with the ACK it got (read-only). */
@ApiTags('hl7')
@Controller('hl7/messages')
export class Hl7MessagesController {
  constructor(private readonly messages: Hl7MessageRepository) {}

  @Get()
  @ApiOperation({
    summary: 'List received HL7 messages',
    description:
      'Every message received on the MLLP port, newest first, including rejected ones, repeats and framing errors. ' +
      'Filter by MSH-10 (controlId), accession (ORC-3/OBR-3), outcome, ACK code or sending application (MSH-3).',
  })
  @ApiQuery({ name: 'controlId', required: false, description: 'MSH-10 message control id' })
  @ApiQuery({ name: 'accession', required: false, description: 'Accession number (ORC-3 / OBR-3)' })
  @ApiQuery({ name: 'outcome', required: false, enum: HL7_OUTCOMES })
  @ApiQuery({ name: 'ackCode', required: false, enum: ['AA', 'AE', 'AR'] })
  @ApiQuery({ name: 'sendingApplication', required: false, description: 'MSH-3 as sent' })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor from the previous page' })
  @ApiOkResponse({ description: 'A page of messages (without their text; read one by id for it).', schema: openApiSchema(Hl7MessagePage, 'output') })
  @ApiBadRequestResponse({ description: 'A query parameter is invalid; `issues` names it.', schema: errorSchema })
  async list(@Query(new ZodValidationPipe(ListHl7MessagesQuery, 'query')) query: ListHl7MessagesQuery): Promise<Hl7MessagePage> {
    const rows = await this.messages.list({
      controlId: query.controlId,
      accessionNumber: query.accession,
      outcome: query.outcome,
      ackCode: query.ackCode,
      sendingApplication: query.sendingApplication,
      beforeId: query.cursor,
      limit: query.limit + 1,
    });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return { items: items.map(summary), ...(rows.length > query.limit && last ? { nextCursor: String(last.id) } : {}) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read one received HL7 message', description: 'The message as received, the ACK sent (as sent) and its ERR segments as objects.' })
  @ApiParam({ name: 'id', description: 'id from the list', example: 1 })
  @ApiOkResponse({ description: 'The message.', schema: openApiSchema(Hl7MessageDetail, 'output') })
  @ApiBadRequestResponse({ description: 'The id is not a number.', schema: errorSchema })
  @ApiNotFoundResponse({ description: 'No message has this id.', schema: errorSchema })
  async get(@Param(new ZodValidationPipe(Hl7MessagePathParams, 'path')) params: z.output<typeof Hl7MessagePathParams>): Promise<Hl7MessageDetail> {
    const m = await this.messages.get(params.id);
    if (!m) throw new NotFoundException({ error: 'hl7_message_not_found', message: `no HL7 message has id ${params.id}` });
    return { ...summary(m), raw: m.raw, ack: m.ack, errors: m.errors };
  }
}
