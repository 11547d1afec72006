import { Module } from '@nestjs/common';
import { ConsoleConfigController } from './console-config.controller';
import { WebController } from './web.controller';

/** The web front end's files and its sign-in settings. Import last: its catch-all route must come after every API route. */
@Module({ controllers: [ConsoleConfigController, WebController] })
export class WebModule {}
