import { DEV_MODE_WARNING } from '@eddy/auth';
import { Logger } from 'nestjs-pino';
import { startTracing } from '@eddy/observability';
import { loadConfig, type EddyConfig } from './config/eddy.config';
import { logStartupFailure } from './startup/startup-failure';
import { startupLogger } from './startup/startup.logger';

const startup = startupLogger();

async function main(): Promise<void> {
  let config: EddyConfig | undefined;
  try {
    config = loadConfig();
    // Whatever the log level: nobody may run this mode without being told.
    if (config.auth.mode === 'dev')
      for (const line of DEV_MODE_WARNING) startup.warn({ context: 'Auth' }, line);
    // Before the platform is loaded, so that every module finds the tracer (off without EDDY_TRACING_OTLP_URL).
    const tracing = startTracing(config.tracing);
    // Loaded once the settings are good: a bad one is reported without loading the whole platform.
    const { createApp } = await import('./app');
    const app = await createApp(config);
    await app.listen(config.http.port, config.http.host);
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    const { composedRoles } = await import('./roles/role-modules');
    const roles = composedRoles(config);
    const apis = [
      ...(roles.includes('api') ? [`GraphQL ${url}/graphql`] : []),
      ...(roles.includes('core') ? [`commands ${url}/api/commands`] : []),
      `health ${url}/health/ready`,
    ];
    const logger = app.get(Logger);
    logger.log(`MAIN-000 Eddy is listening on ${url} (roles ${roles.join(', ')}): ${apis.join(', ')}`);
    if (tracing)
      logger.log(`MAIN-006 traces go to ${config.tracing.otlpUrl} as ${config.tracing.serviceName}`);
    // Nest's shutdown hooks (enabled in createApp) do the stopping; this says that it began.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () =>
        logger.log(`MAIN-005 Eddy stops (${signal}): finishing the requests in flight, closing connections`),
      );
    }
  } catch (error) {
    process.exit(logStartupFailure(startup, error, config));
  }
}

void main();
