import { logLevel, type logCreator } from 'kafkajs';
import type { CommandTopicLog } from './command-topic.handler';

/** kafkajs's own warnings and errors in the application log, one line each, with a code. */
export function kafkajsLog(logger: CommandTopicLog, code: string): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, error } = log;
      const line = `${code} kafkajs ${namespace}: ${message}${error ? ` (${String(error)})` : ''}`;
      if (level === logLevel.ERROR) logger.error(line);
      else if (level === logLevel.WARN) logger.warn(line);
    };
}
