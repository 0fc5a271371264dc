import { Controller, Get, Inject, Logger, Param, Redirect, Res } from '@nestjs/common';
import { Authenticator } from '@eddy/auth';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Options of the web tasklist page. */
export interface TasklistPageOptions {
  /** Folder of the built page (`npm run build` writes it to `dist/tasklist-web`). */
  dir: string;
}

/** Injection token of the {@link TasklistPageOptions}. */
export const TASKLIST_PAGE_OPTIONS = Symbol('TASKLIST_PAGE_OPTIONS');

/** What the page learns of the server before it signs in: nothing but how to sign in. */
export interface TasklistPageSettings {
  authMode: 'jwt' | 'dev';
  graphqlPath: string;
}

/** The page may talk to its own origin only; no inline script, nothing from elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Serves the built web tasklist at `/tasklist` (and redirects `/` there). The files carry no user
 * data, so they are open like the health probes; everything the page shows comes from the GraphQL
 * API, which authenticates every request.
 */
@Controller()
export class TasklistPageController {
  private readonly logger = new Logger('TasklistPage');
  private readonly built: boolean;

  constructor(
    @Inject(TASKLIST_PAGE_OPTIONS) private readonly options: TasklistPageOptions,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
  ) {
    this.built = existsSync(join(options.dir, 'index.html'));
    if (!this.built) {
      this.logger.warn(`TASKLIST-101 no built page in ${options.dir}: run npm run build to serve /tasklist`);
    }
  }

  @Get()
  @Redirect('/tasklist/', 302)
  root(): void {}

  @Get('tasklist/settings.json')
  settings(@Res({ passthrough: true }) res: Response): TasklistPageSettings {
    res.setHeader('cache-control', 'no-store');
    return { authMode: this.authenticator.mode, graphqlPath: '/graphql' };
  }

  @Get('tasklist/assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    // Built assets carry a content hash in their name: they never change under one name.
    res.sendFile(
      file,
      {
        root: join(this.options.dir, 'assets'),
        dotfiles: 'deny',
        immutable: true,
        maxAge: '365d',
      },
      (error?: Error) => {
        if (error && !res.headersSent) res.status(404).type('text/plain').send(`no asset ${file}`);
      },
    );
  }

  /** The page itself, for `/tasklist` and every route of the page below it. */
  @Get(['tasklist', 'tasklist/*path'])
  page(@Res() res: Response): void {
    if (!this.built) {
      res
        .status(503)
        .type('text/plain')
        .send('TASKLIST-101 the web tasklist is not built: run npm run build (npm start does)');
      return;
    }
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-cache');
    res.sendFile('index.html', { root: this.options.dir });
  }
}
