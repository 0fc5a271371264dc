import { destination, pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * The logger of start-up itself: what must reach the operator whatever `EDDY_LOG_LEVEL` says (the
 * development identity mode's warning, a failure to start). It writes synchronously to stdout, as
 * JSON lines like the application's log, or pretty with `EDDY_LOG_PRETTY=true`, so that nothing is
 * lost when the process exits right after. It reads `EDDY_LOG_PRETTY` itself: a failure may come
 * before the configuration could be read.
 */
export function startupLogger(env: Record<string, string | undefined> = process.env): Logger {
  const options = { level: 'warn' };
  if (env.EDDY_LOG_PRETTY === 'true') {
    return pino(options, pretty({ sync: true, singleLine: true, ignore: 'pid,hostname' }));
  }
  return pino(options, destination({ dest: 1, sync: true }));
}
