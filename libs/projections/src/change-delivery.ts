import { Logger } from '@nestjs/common';
import type { ChangeListener, ViewChange } from './view-store.port';

const deliveryLogger = new Logger('ViewStore');

/**
 * Hands changes to a listener on a later microtask (never inside the writer's call), unless the
 * subscription closed meanwhile; a listener that throws is logged and stays subscribed.
 */
export function deliverLater(
  subscriber: { closed: boolean; listener: ChangeListener },
  changes: readonly ViewChange[],
): void {
  queueMicrotask(() => {
    if (subscriber.closed) return;
    try {
      subscriber.listener.next(changes);
    } catch (error) {
      deliveryLogger.error(`VIEWSTORE-011 change listener failed: ${(error as Error).message}`);
    }
  });
}
