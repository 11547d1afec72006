import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { OpsConsoleConfig as BrowserConfig } from '@slidecharge/contracts';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';

@ApiTags('web')
@Controller('api')
export class ConsoleConfigController {
  constructor(@Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig) {}

  @Get('config')
  @ApiOperation({ summary: 'What the browser needs to sign in (no credential; nothing about patients)' })
  @ApiOkResponse({ description: 'OpsConsoleConfig (libs/contracts/src/ops-console.ts)' })
  get(): BrowserConfig {
    return {
      issuer: this.config.OPS_CONSOLE_PUBLIC_ISSUER ?? this.config.OIDC_ISSUER,
      clientId: this.config.OPS_CONSOLE_CLIENT_ID,
      scopes: 'openid profile',
      labTimeZone: this.config.LAB_TIME_ZONE,
      labName: this.config.LAB_NAME,
      feeScheduleConfigured: this.config.feeSchedule !== null,
    };
  }
}
