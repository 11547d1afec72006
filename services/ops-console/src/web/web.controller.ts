import { Controller, Get, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { existsSync, statSync } from 'node:fs';
import { OPS_CONSOLE_CONFIG, OpsConsoleConfig } from '../config';
import { cacheControlOf, isServerPath, webContentSecurityPolicy, webFileOf } from './web-files';

interface FileResponse {
  status(code: number): FileResponse;
  setHeader(name: string, value: string): unknown;
  json(body: unknown): unknown;
  sendFile(path: string, options: { dotfiles: 'deny'; headers: Record<string, string>; lastModified: boolean }, done: (err?: Error) => void): void;
}

/**
 * The web front end (OPS_CONSOLE_WEB_ROOT, built by npx nx run ops-console-web:build) at /: its files,
 * and index.html for client routes. No credential (no data); the API it calls needs one. Registered
 * last (WebModule is the last import of the app), so every API route comes first.
 */
@Controller()
export class WebController {
  private readonly csp: string;

  constructor(@Inject(OPS_CONSOLE_CONFIG) private readonly config: OpsConsoleConfig) {
    this.csp = webContentSecurityPolicy(config.OPS_CONSOLE_PUBLIC_ISSUER ?? config.OIDC_ISSUER);
  }

  @Get()
  @ApiExcludeEndpoint()
  index(@Res() res: FileResponse): void {
    this.serve('/', res);
  }

  @Get('*path')
  @ApiExcludeEndpoint()
  file(@Req() req: { path: string }, @Res() res: FileResponse): void {
    if (isServerPath(req.path)) throw new NotFoundException({ error: 'not_found', message: `no route GET ${req.path}` });
    this.serve(req.path, res);
  }

  private serve(path: string, res: FileResponse): void {
    const root = this.config.webRoot;
    if (!existsSync(root) || !existsSync(`${root}/index.html`)) {
      res.status(503).json({ error: 'web_not_built', message: `the console's web front end is not built (no ${root}/index.html): run npx nx run ops-console-web:build, or set OPS_CONSOLE_WEB_ROOT` });
      return;
    }
    const target = webFileOf(root, path);
    if (!target) {
      res.status(404).json({ error: 'not_found', message: 'no such file' });
      return;
    }
    const file = target.fallback || (existsSync(target.file) && statSync(target.file).isFile()) ? target.file : null;
    if (!file) {
      res.status(404).json({ error: 'not_found', message: 'no such file' });
      return;
    }
    const headers = { 'Cache-Control': cacheControlOf(file), 'Content-Security-Policy': this.csp };
    res.sendFile(file, { dotfiles: 'deny', headers, lastModified: true }, (err) => {
      if (err) res.status(404).json({ error: 'not_found', message: 'no such file' });
    });
  }
}
