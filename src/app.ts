import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { collectDefaultMetrics } from 'prom-client';
import { metricsRegistry, traceHttpRequests } from '@eddy/observability';
import { AppModule, type AppOverrides } from './app.module';
import type { EddyConfig } from './config/eddy.config';

let defaultMetricsCollected = false;

/** Body-parser failures answered as JSON with a message, never as an HTML page. */
function bodyErrors(
  error: { type?: string; status?: number; message?: string },
  _req: Request,
  res: Response,
  next: NextFunction,
) {
  if (error?.type === 'entity.parse.failed') {
    res.status(400).json({
      statusCode: 400,
      error: 'Bad Request',
      message: `the body is not valid JSON: ${error.message}`,
    });
  } else if (error?.type === 'entity.too.large') {
    res.status(413).json({ statusCode: 413, error: 'Payload Too Large', message: error.message });
  } else if (error?.status && error.status >= 400 && error.status < 500) {
    res.status(error.status).json({ statusCode: error.status, error: 'Bad Request', message: error.message });
  } else {
    next(error);
  }
}

/** The APIs whose bodies are JSON: another content type is told so, not that its body lacks a field. */
const JSON_APIS = ['/api/commands', '/api/messages'];

function requireJsonContentType(req: Request, res: Response, next: NextFunction) {
  if (req.method !== 'POST' || req.is('application/json')) return next();
  const given = req.headers['content-type'];
  res.status(415).json({
    statusCode: 415,
    error: 'Unsupported Media Type',
    message: `the body must be JSON with content-type: application/json (${given ? `got ${given}` : 'no content-type was sent'})`,
  });
}

/** The probes' and the scraper's requests: a span each would only bury the traces of the work. */
const UNTRACED_PATHS = ['/health', '/metrics'];

/** Creates the application (not yet listening), configured from `config`. */
export async function createApp(config: EddyConfig, overrides: AppOverrides = {}): Promise<INestApplication> {
  if (!defaultMetricsCollected) {
    collectDefaultMetrics({ register: metricsRegistry });
    defaultMetricsCollected = true;
  }
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, overrides), {
    bodyParser: false,
    bufferLogs: true,
    // A failure while the modules are built is thrown to the caller, which logs it with its cause
    // (src/startup), instead of Nest's coloured stack trace and exit.
    abortOnError: false,
    logger: false,
  });
  app.useLogger(app.get(Logger));
  // First: every request (controllers and GraphQL) is a span, continuing an incoming traceparent.
  app.use(traceHttpRequests({ untracedPaths: UNTRACED_PATHS }));
  app.useBodyParser('json', { limit: config.http.maxBodyBytes });
  app.use(bodyErrors);
  app.use(JSON_APIS, requireJsonContentType);
  app.enableShutdownHooks();
  return app;
}
