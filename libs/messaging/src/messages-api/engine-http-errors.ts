import { BadRequestException, GatewayTimeoutException, ServiceUnavailableException } from '@nestjs/common';
import { EngineError } from '@eddy/collector';

/**
 * The HTTP answer of the engine's errors for the APIs that hand a process application's request to the
 * engine (messages, signals): 400 for a bad argument, 503 while it shuts down, 504 when the collector process
 * did not answer in time; anything else is thrown as it is.
 */
export function engineHttpError(error: unknown): unknown {
  if (!(error instanceof EngineError)) return error;
  if (error.code === 'INVALID_ARGUMENT') return new BadRequestException(error.message);
  if (error.code === 'CLOSED') return new ServiceUnavailableException('the process engine is shutting down');
  if (error.code === 'ENGINE_TIMEOUT') return new GatewayTimeoutException(`ENGINE_TIMEOUT ${error.message}`);
  return error;
}
