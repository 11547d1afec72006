import { BadRequestException, Body, ConflictException, Controller, Get, HttpCode, HttpStatus, NotFoundException, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { actorLabel, CurrentPrincipal, openApiSchema, Principal, ZodValidationPipe } from '@slidecharge/service-kit';
import { PolicySetInvalidError, PolicySetStore, PolicyVersionExistsError, PolicyVersionUnknownError } from './policy-set.store';
import { ActivatePolicySetRequest, CreatePolicySetRequest, PolicySetInfoView, PolicySetListView, PolicySetView, PolicyVersionParam } from './policy-sets.dto';
import { ErrorBody } from '../error-body.dto';

const errorSchema = openApiSchema(ErrorBody, 'output');

function httpError(error: unknown): unknown {
  if (error instanceof PolicySetInvalidError) {
    return new BadRequestException({
      error: 'invalid_policy_set',
      message: error.message,
      issues: error.problems.map((p) => ({ path: 'policySet', message: p })),
    });
  }
  if (error instanceof PolicyVersionExistsError) return new ConflictException({ error: 'policy_version_exists', message: error.message });
  if (error instanceof PolicyVersionUnknownError) return new NotFoundException({ error: 'not_found', message: error.message });
  return error;
}

@ApiTags('payer policies')
@Controller('policy-sets')
export class PolicySetsController {
  constructor(private readonly store: PolicySetStore) {}

  @Get()
  @ApiOperation({ summary: 'Every stored payer policy set, oldest first, with its activations and which one is in force' })
  @ApiOkResponse({ schema: openApiSchema(PolicySetListView, 'output') })
  async list(): Promise<PolicySetListView> {
    return { items: await this.store.list() };
  }

  @Get(':policyVersion')
  @ApiOperation({ summary: 'One policy set with its document' })
  @ApiParam({ name: 'policyVersion', description: 'e.g. 2025.1' })
  @ApiOkResponse({ schema: openApiSchema(PolicySetView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ schema: errorSchema })
  async one(@Param('policyVersion', new ZodValidationPipe(PolicyVersionParam, 'policyVersion')) version: string): Promise<PolicySetView> {
    const found = await this.store.get(version);
    if (!found) throw new NotFoundException({ error: 'not_found', message: `no policy set with version ${version}` });
    return { ...found.info, policySet: found.policySet as unknown as Record<string, unknown> };
  }

  @Post()
  @ApiOperation({
    summary: 'Store a new policy set version (and put it in force with activate: true)',
    description:
      'The set is validated first; a problem answers 400 listing every problem in words. A version is never edited: ' +
      'sending an existing version with the same content again answers 200 (a retry), with other content 409. ' +
      'New events are decided under the active version from the moment it is activated; charges already decided keep theirs.',
  })
  @ApiBody({ schema: openApiSchema(CreatePolicySetRequest) })
  @ApiCreatedResponse({ description: 'Stored.', schema: openApiSchema(PolicySetInfoView, 'output') })
  @ApiOkResponse({ description: 'The same version with the same content was stored before.', schema: openApiSchema(PolicySetInfoView, 'output') })
  @ApiBadRequestResponse({ description: 'The request or the policy set is invalid; issues say what.', schema: errorSchema })
  @ApiConflictResponse({ description: 'The version exists with other content.', schema: errorSchema })
  async create(
    @Body(new ZodValidationPipe(CreatePolicySetRequest)) body: CreatePolicySetRequest,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) res: { status(code: number): unknown },
  ): Promise<PolicySetInfoView> {
    try {
      const { created, info } = await this.store.create({ ...body, createdBy: actorLabel(principal) });
      res.status(created ? HttpStatus.CREATED : HttpStatus.OK);
      return info;
    } catch (e) {
      throw httpError(e);
    }
  }

  @Post(':policyVersion/activate')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Put a stored version in force (an older one: a rollback)', description: 'Recorded with the signed-in administrator and why.' })
  @ApiParam({ name: 'policyVersion', description: 'e.g. 2025.1' })
  @ApiBody({ schema: openApiSchema(ActivatePolicySetRequest) })
  @ApiOkResponse({ schema: openApiSchema(PolicySetInfoView, 'output') })
  @ApiBadRequestResponse({ schema: errorSchema })
  @ApiNotFoundResponse({ schema: errorSchema })
  async activate(
    @Param('policyVersion', new ZodValidationPipe(PolicyVersionParam, 'policyVersion')) version: string,
    @Body(new ZodValidationPipe(ActivatePolicySetRequest)) body: ActivatePolicySetRequest,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PolicySetInfoView> {
    try {
      return await this.store.activate(version, actorLabel(principal), body.comment);
    } catch (e) {
      throw httpError(e);
    }
  }
}

