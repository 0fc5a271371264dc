import { useState } from 'preact/hooks';

/** Where an action of the detail stands: running, failed (the server's words), or done. */
export type ActionStatus =
  | { kind: 'idle' }
  | { kind: 'busy'; action: string }
  | { kind: 'error'; message: string }
  | { kind: 'done'; message: string };

/**
 * Runs one action at a time and keeps its status: `run('Assign', work, 'Assigned to bob.')` shows
 * "Assign…", then the message, or "Assign failed: <the server's error>".
 */
export function useAction() {
  const [status, setStatus] = useState<ActionStatus>({ kind: 'idle' });
  const run = async <T,>(action: string, work: () => Promise<T>, done?: string): Promise<T | undefined> => {
    setStatus({ kind: 'busy', action });
    try {
      const result = await work();
      setStatus(done ? { kind: 'done', message: done } : { kind: 'idle' });
      return result;
    } catch (error) {
      setStatus({ kind: 'error', message: `${action} failed: ${(error as Error).message}` });
      return undefined;
    }
  };
  return { status, busy: status.kind === 'busy', run, reset: () => setStatus({ kind: 'idle' }) };
}

/** The status of an action, announced: progress and results politely, errors at once. */
export function ActionStatusView({ status }: { status: ActionStatus }) {
  return (
    <>
      <div class="status" role="status">
        {status.kind === 'busy' && <p class="muted">{status.action}…</p>}
        {status.kind === 'done' && <p class="done">{status.message}</p>}
      </div>
      {status.kind === 'error' && (
        <p class="error" role="alert">
          {status.message}
        </p>
      )}
    </>
  );
}
