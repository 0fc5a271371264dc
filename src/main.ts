import { Logger } from 'nestjs-pino';
import { createApp } from './app';
import { ConfigurationError, loadConfig } from './config/eddy.config';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      for (const problem of error.problems)
        console.error(`CONFIG-001 ${problem.variable} ${problem.message}`);
      process.exit(78);
    }
    throw error;
  }
  const app = await createApp(config);
  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  app
    .get(Logger)
    .log(`MAIN-000 Eddy is listening on ${url}: GraphQL ${url}/graphql, commands ${url}/api/commands`);
}

main().catch((error: unknown) => {
  console.error('MAIN-001 start-up failed:', error);
  process.exit(1);
});
