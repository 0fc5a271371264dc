import { formatDateTime } from '../format';
import type { ProtocolEntry } from '../tasks/task.types';

/** The protocol (history) of a data entry, oldest first. */
export function ProtocolList({ name, protocol }: { name: string; protocol: ProtocolEntry[] }) {
  return (
    <ol class="protocol" aria-label={`Protocol of ${name}`}>
      {protocol.map((p, i) => (
        <li key={i}>
          {formatDateTime(p.time)} · {p.processingType}
          {p.state && ` · ${p.state}`}
          {p.username && ` · ${p.username}`}
          {p.logMessage && `: ${p.logMessage}`}
        </li>
      ))}
    </ol>
  );
}
