import { DynamicModule, Module } from '@nestjs/common';
import { READINESS_CHECKS, serviceModule, ServiceAppModule, ServiceRuntime } from '@slidecharge/service-kit';
import { ActionsModule } from './actions/actions.module';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from './config';
import { LiveModule } from './live/live.module';
import { OverviewModule } from './overview/overview.module';
import { PrismaService } from './prisma.service';
import { ProjectionModule } from './projection/projection.module';
import { OPS_CONSOLE_SCHEMA } from './projection/projection.repository';
import { TimelineModule } from './timeline/timeline.module';
import { isOpenPath } from './web/web-files';
import { WebModule } from './web/web.module';

/**
 * The shared wiring of every slidecharge service (config, logger, Prisma, ServiceRuntime, auth, access
 * guard and audit, health and metrics), global so that the feature modules inject it.
 */
@Module({})
export class OpsConsoleCoreModule extends ServiceAppModule {
  static forRoot(config: OpsConsoleConfig): DynamicModule {
    const core = serviceModule({
      module: OpsConsoleCoreModule,
      service: 'ops-console',
      config,
      configToken: OPS_CONSOLE_CONFIG,
      database: PrismaService,
      deadLetterSchema: OPS_CONSOLE_SCHEMA,
      accessAuditSchema: OPS_CONSOLE_SCHEMA,
      openPaths: isOpenPath,
      controllers: [],
      providers: [],
    });
    return { ...core, global: true, exports: [OPS_CONSOLE_CONFIG, PrismaService, ServiceRuntime, READINESS_CHECKS] };
  }
}

/**
 * The ops console's server: the read model (projection), the numbers (overview), the live stream, the
 * actions forwarded to the owning services, case timelines, and the web front end (last: its
 * catch-all route comes after every API route).
 */
@Module({})
export class AppModule {
  static forRoot(config: OpsConsoleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [OpsConsoleCoreModule.forRoot(config), ProjectionModule, OverviewModule, LiveModule, ActionsModule, TimelineModule, WebModule],
    };
  }
}
