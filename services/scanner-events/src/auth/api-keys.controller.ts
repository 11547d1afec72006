import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBody, ApiNotFoundResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { actorLabel, CurrentPrincipal, openApiSchema, Principal, ZodValidationPipe } from '@slidecharge/service-kit';
import { ErrorAnswer } from '../scan-events/api';
import { ApiKeyIdParam, ApiKeyList, ApiKeyView, CreateApiKeyRequest, CreatedApiKey } from './api-keys.api';
import { ApiKeysService } from './api-keys.service';

/** Key administration, by people signed in with role integration-admin (ACCESS_MATRIX). */
@ApiTags('api keys')
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Make an API key for a client',
    description: 'The answer holds the key (sck_<id>_<secret>) once; only a hash of its secret is kept, so store it now. Needs role integration-admin.',
  })
  @ApiBody({ schema: openApiSchema(CreateApiKeyRequest) })
  @ApiResponse({ status: 201, description: 'The key, shown once.', schema: openApiSchema(CreatedApiKey, 'output') })
  @ApiBadRequestResponse({ description: 'Missing name or unknown scope.', schema: openApiSchema(ErrorAnswer, 'output') })
  create(@Body(new ZodValidationPipe(CreateApiKeyRequest, 'API key request')) body: CreateApiKeyRequest, @CurrentPrincipal() principal: Principal): Promise<CreatedApiKey> {
    return this.keys.create(body.name, body.scopes, actorLabel(principal));
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiResponse({ status: 200, description: 'Every key, newest first.', schema: openApiSchema(ApiKeyList, 'output') })
  async list(): Promise<ApiKeyList> {
    return { items: await this.keys.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One API key (never its secret)' })
  @ApiParam({ name: 'id', description: 'Key id (the <id> in sck_<id>_<secret>).' })
  @ApiResponse({ status: 200, description: 'The key.', schema: openApiSchema(ApiKeyView, 'output') })
  @ApiNotFoundResponse({ description: 'No key with this id.', schema: openApiSchema(ErrorAnswer, 'output') })
  async get(@Param('id', new ZodValidationPipe(ApiKeyIdParam, 'id')) id: string): Promise<ApiKeyView> {
    const view = await this.keys.get(id);
    if (!view) throw new NotFoundException({ error: 'not_found', message: `no API key with id "${id}"` });
    return view;
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke an API key',
    description: 'Refused from the next request on. Revoking again changes nothing (the first revocation time stays). A revoked key cannot be restored: make a new one.',
  })
  @ApiParam({ name: 'id', description: 'Key id.' })
  @ApiResponse({ status: 200, description: 'The revoked key.', schema: openApiSchema(ApiKeyView, 'output') })
  @ApiNotFoundResponse({ description: 'No key with this id.', schema: openApiSchema(ErrorAnswer, 'output') })
  async revoke(@Param('id', new ZodValidationPipe(ApiKeyIdParam, 'id')) id: string, @CurrentPrincipal() principal: Principal): Promise<ApiKeyView> {
    const view = await this.keys.revoke(id, actorLabel(principal));
    if (!view) throw new NotFoundException({ error: 'not_found', message: `no API key with id "${id}"` });
    return view;
  }
}
