import { Controller, Get, Header, Inject, Param, Req, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { capabilityStatement, smartConfiguration } from './capability';
import type { FhirSettings } from './fhir.config';
import { FhirChargeItemService } from './fhir.service';
import { FHIR_SETTINGS } from './fhir-settings.provider';
import { fhirOpenApiSchema } from './openapi-outline';
import { FHIR_JSON, FhirError, FhirExceptionFilter, notFoundOutcome, operationOutcome, searchProblemsOutcome } from './operation-outcome';
import { Bundle, ChargeItem, fhirId, OperationOutcome } from './r4';
import { DEFAULT_COUNT, MAX_COUNT, parseChargeItemSearch } from './search';
import { EXTENSION_IDS, isExtensionId, StructureDefinition, structureDefinitions } from './structure-definitions';

interface FhirRequest {
  get(name: string): string | undefined;
  query: Record<string, unknown>;
}

const outcomeSchema = fhirOpenApiSchema(OperationOutcome, 2, 'operationoutcome.html');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Prefer: handling=lenient asks to ignore unknown search parameters (the default here is strict). */
const isLenient = (req: FhirRequest) => /(^|[,;\s])handling\s*=\s*lenient\b/i.test(req.get('prefer') ?? '');

@ApiTags('fhir')
@UseFilters(FhirExceptionFilter)
@Controller('fhir')
export class FhirController {
  /** The FHIR base URL for Bundle links and fullUrls: from PUBLIC_BASE_URL, never from the request's Host. */
  private readonly fhirBase: string;
  private readonly capability: ReturnType<typeof capabilityStatement>;
  private readonly smart: ReturnType<typeof smartConfiguration>;
  private readonly definitions: ReturnType<typeof structureDefinitions>;

  constructor(
    private readonly chargeItems: FhirChargeItemService,
    @Inject(FHIR_SETTINGS) settings: FhirSettings,
  ) {
    this.fhirBase = settings.base;
    this.capability = capabilityStatement(settings);
    this.smart = smartConfiguration(settings);
    this.definitions = structureDefinitions(settings.canonicalBase);
  }

  @Get('metadata')
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({
    summary: 'R4 CapabilityStatement: what the FHIR API serves, its search parameters and its security (SMART OAuth endpoints)',
    description: 'Needs no token: a SMART client reads the OAuth endpoints here before it has one.',
  })
  @ApiOkResponse({ description: 'CapabilityStatement (FHIR R4)', schema: { type: 'object' } })
  metadata(): ReturnType<typeof capabilityStatement> {
    return this.capability;
  }

  @Get('.well-known/smart-configuration')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOperation({
    summary: 'SMART App Launch discovery: the token endpoint, grant types and scopes (backend services)',
    description: 'Needs no token. The same endpoints as the oauth-uris extension of the CapabilityStatement.',
  })
  @ApiOkResponse({ description: 'SMART configuration (JSON)', schema: { type: 'object' } })
  smartConfiguration(): ReturnType<typeof smartConfiguration> {
    return this.smart;
  }

  @Get('StructureDefinition/:id')
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({
    summary: 'The R4 StructureDefinition of an extension slidecharge puts on ChargeItems',
    description: `Needs no token. Ids: ${EXTENSION_IDS.join(', ')}; each definition's url is the extension's canonical URL.`,
  })
  @ApiParam({ name: 'id', description: EXTENSION_IDS.join(' | ') })
  @ApiOkResponse({ description: 'StructureDefinition (FHIR R4, kind complex-type, type Extension)', schema: { type: 'object' } })
  @ApiNotFoundResponse({ description: 'OperationOutcome: no such StructureDefinition', schema: outcomeSchema })
  structureDefinition(@Param('id') id: string): StructureDefinition {
    if (!isExtensionId(id)) throw new FhirError(404, operationOutcome('not-found', `StructureDefinition/${id} is not known: served are ${EXTENSION_IDS.join(', ')}`));
    return this.definitions[id];
  }

  @Get('ChargeItem')
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({
    summary: 'Search digitization charges as FHIR R4 ChargeItems',
    description:
      'A searchset Bundle (oldest decision first) with total and a next link while more follow. Comma = OR within a parameter, a ' +
      'repeated parameter = AND. Status is mapped from the charge state: held -> planned, posted -> billable, do-not-send -> ' +
      'not-billable, voided -> aborted, credited -> aborted (with the charge-credit extension). Unknown parameters are refused unless ' +
      'Prefer: handling=lenient.',
  })
  @ApiQuery({ name: 'accession', required: false, description: 'accession number (custom token): S26-000123 or urn:slidecharge:accession|S26-000123' })
  @ApiQuery({ name: 'patient', required: false, description: 'the MRN, or Patient/<MRN> (no Patient resources are served)' })
  @ApiQuery({ name: 'patient:identifier', required: false, description: 'the MRN: urn:slidecharge:mrn|MRN-0042 or MRN-0042' })
  @ApiQuery({
    name: 'date',
    required: false,
    isArray: true,
    description: 'date of service with optional prefix eq ne gt lt ge le sa eb: date=ge2026-01-01&date=le2026-12-31 (custom, same as occurrence)',
  })
  @ApiQuery({ name: 'occurrence', required: false, isArray: true, description: 'as date (the R4 ChargeItem-occurrence parameter)' })
  @ApiQuery({ name: 'status', required: false, description: 'planned | billable | not-billable | aborted | billed | entered-in-error | unknown; comma = OR' })
  @ApiQuery({ name: '_count', required: false, schema: { type: 'integer', minimum: 0, maximum: MAX_COUNT, default: DEFAULT_COUNT } })
  @ApiQuery({ name: '_cursor', required: false, description: 'set by the Bundle next link' })
  @ApiQuery({ name: '_format', required: false, description: 'json or application/fhir+json (JSON only)' })
  @ApiHeader({ name: 'Prefer', required: false, description: 'handling=lenient ignores unknown search parameters instead of refusing them' })
  @ApiOkResponse({ description: 'Bundle (type searchset)', schema: fhirOpenApiSchema(Bundle, 3, 'bundle.html') })
  @ApiBadRequestResponse({ description: 'OperationOutcome: one issue per bad parameter, location http.<parameter>', schema: outcomeSchema })
  async search(@Req() req: FhirRequest): Promise<Bundle> {
    const parsed = parseChargeItemSearch(req.query, { lenient: isLenient(req) });
    if (!parsed.ok) throw new FhirError(400, searchProblemsOutcome(parsed.problems));
    return this.chargeItems.search(parsed.search, this.fhirBase);
  }

  @Get('ChargeItem/:id')
  @Header('Content-Type', FHIR_JSON)
  @ApiProduces('application/fhir+json')
  @ApiOperation({ summary: 'One charge as a FHIR R4 ChargeItem', description: 'The id is the chargeId.' })
  @ApiParam({ name: 'id', description: 'the chargeId (a UUID)' })
  @ApiOkResponse({ description: 'ChargeItem (FHIR R4)', schema: fhirOpenApiSchema(ChargeItem, 2, 'chargeitem.html') })
  @ApiBadRequestResponse({ description: 'OperationOutcome: the id is not a FHIR id', schema: outcomeSchema })
  @ApiNotFoundResponse({ description: 'OperationOutcome: no charge has this id', schema: outcomeSchema })
  async read(@Param('id') id: string): Promise<ChargeItem> {
    if (!fhirId.safeParse(id).success) {
      throw new FhirError(400, operationOutcome('invalid', `"${id}" is not a FHIR id (1-64 letters, digits, "-" or ".")`, ['http.id']));
    }
    const item = UUID.test(id) ? await this.chargeItems.read(id) : undefined;
    if (!item) throw new FhirError(404, notFoundOutcome(id));
    return item;
  }
}
