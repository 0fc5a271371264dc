/**
 * Where a command's time goes between the processes of a layout, from its trace: a receiver of
 * OTLP/HTTP JSON spans (what `EDDY_TRACING_OTLP_URL` exports to) in the suite's process, and the
 * hops between the spans that the command's trace has in each role.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { percentile } from './measure';

/** One received span: its trace, name, times (ms since the epoch) and string or number attributes. */
interface ReceivedSpan {
  traceId: string;
  name: string;
  start: number;
  end: number;
  attributes: Record<string, string | number>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; doubleValue?: number };
}

interface OtlpSpan {
  traceId: string;
  name: string;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttribute[];
}

interface OtlpExport {
  resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[];
}

/**
 * The hops of a command's trace, each from one span's mark to the next: the core's `command <type>`
 * span (its end: appended), the relay's `relay publish` (start: read from the event store; end:
 * acknowledged by the broker), the projector's `project` (start: its batch arrived) and the api's
 * `push tasks` (the tasks view written, the change seen on the change stream and pushed). The last
 * row is beside the chain: the `project` span ends once every view of its batch is written, which
 * may be after the push of the tasks view's change.
 */
export const HOPS = [
  'command handled and appended (core, command span)',
  'appended -> relay read',
  'relay read -> Kafka acknowledged',
  'Kafka acknowledged -> projector received',
  'projector received -> pushed (tasks view, change stream, api)',
  'beside: projector received -> every view written',
] as const;

export interface HopFigures {
  hop: (typeof HOPS)[number];
  p50: number;
  p99: number;
}

/** Collects the spans the processes export; {@link hops} takes the traces of given task ids apart. */
export class HopSpans {
  private readonly spans: ReceivedSpan[] = [];
  private server: Server | undefined;
  private received: () => void = () => undefined;
  url = '';

  async start(): Promise<this> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        try {
          this.receive(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport);
          this.received();
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch (error) {
          response.writeHead(400).end(String(error));
        }
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }

  /**
   * Resolves once the traces of every one of `taskIds` are complete, or no export has come for
   * `quietMs` (the processes export every second; a span dropped from a full queue never comes).
   */
  async settled(taskIds: ReadonlySet<string>, quietMs = 3_000): Promise<void> {
    while (this.hops(taskIds).complete < taskIds.size) {
      const more = await new Promise<boolean>((resolve) => {
        const quiet = setTimeout(() => resolve(false), quietMs);
        this.received = () => {
          clearTimeout(quiet);
          resolve(true);
        };
      });
      if (!more) return;
    }
  }

  /** The p50 and p99 of each hop over the traces that pushed one of `taskIds`; how many were complete. */
  hops(taskIds: ReadonlySet<string>): { complete: number; figures: HopFigures[] } {
    const byTrace = new Map<string, ReceivedSpan[]>();
    for (const span of this.spans) {
      const list = byTrace.get(span.traceId) ?? [];
      list.push(span);
      byTrace.set(span.traceId, list);
    }
    const samples: number[][] = HOPS.map(() => []);
    let complete = 0;
    for (const spans of byTrace.values()) {
      const first = (name: (n: string) => boolean) => spans.find((s) => name(s.name));
      const push = first((n) => n === 'push tasks');
      if (!push || !taskIds.has(String(push.attributes['eddy.document_id']))) continue;
      const command = first((n) => n.startsWith('command '));
      const relay = first((n) => n === 'relay publish');
      const project = first((n) => n === 'project');
      if (!command || !relay || !project) continue;
      complete++;
      const marks = [command.start, command.end, relay.start, relay.end, project.start, push.start];
      for (let i = 0; i < marks.length - 1; i++) samples[i].push(marks[i + 1] - marks[i]);
      samples[HOPS.length - 1].push(project.end - project.start);
    }
    return {
      complete,
      figures: HOPS.map((hop, i) => ({
        hop,
        p50: percentile(samples[i], 50),
        p99: percentile(samples[i], 99),
      })),
    };
  }

  private receive(exported: OtlpExport): void {
    for (const resource of exported.resourceSpans ?? [])
      for (const scope of resource.scopeSpans ?? [])
        for (const span of scope.spans ?? [])
          this.spans.push({
            traceId: span.traceId,
            name: span.name,
            start: Number(span.startTimeUnixNano) / 1e6,
            end: Number(span.endTimeUnixNano) / 1e6,
            attributes: Object.fromEntries(
              (span.attributes ?? []).map((a) => [
                a.key,
                a.value.stringValue ?? Number(a.value.intValue ?? a.value.doubleValue),
              ]),
            ),
          });
  }
}
