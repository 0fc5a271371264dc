import { AuthenticationError, Authenticator, type Identity } from '@eddy/auth';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import type { DocumentNode } from 'graphql';
import { graphql } from '../graphql-runtime';
import {
  CloseCode,
  handleProtocols,
  makeServer,
  type Context,
  type Server as GraphqlWsProtocol,
} from 'graphql-ws';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { trackConnection } from '../observability/tasklist.metrics';
import { GRAPHQL_WS_DRAIN, GraphqlWsDrain } from './graphql-ws.drain';
import { QueryLimits } from '../protection/query-limits';
import { TasklistContextFactory } from '../tasklist.context';
import { formatForClient, tasklistError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';
import { PeerLiveness } from './peer-liveness';

const { getOperationAST, GraphQLError, parse, validate } = graphql;

/** Close code of a connection without valid credentials, or whose token expired. */
export const CLOSE_UNAUTHORIZED = 4401;

/** Close code of a connection beyond the user's limit of open connections. */
export const CLOSE_TOO_MANY_CONNECTIONS = 4429;

/** Close code and reason of the connections open when the server stops (1001, "going away"). */
export const CLOSE_GOING_AWAY = 1001;
export const GOING_AWAY_REASON = 'Going away: the server is stopping';

/** How long the connections have to answer the close before they are cut. */
const CLOSE_HANDSHAKE_MS = 5_000;

/** Longest single timer (setTimeout's limit is about 24.8 days); a longer expiry is re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const KEEP_ALIVE_MS = 12_000;
/** Largest number of tokens an operation may parse into: huge documents are refused before any work. */
export const MAX_DOCUMENT_TOKENS = 5_000;

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  identity?: Identity;
  expiry?: NodeJS.Timeout;
  /** Counted in the user's open connections. */
  counted?: boolean;
  /** Ends the connection's share of the subscriptions gauge. */
  untrack?: () => void;
}

/**
 * The graphql-ws endpoint on the same path as HTTP GraphQL. It runs the schema that
 * `@nestjs/graphql` built (the same resolvers as HTTP) on its own `ws` server, because the
 * tasklist needs what the driver's built-in one does not offer: a message size limit, close code
 * 4401 for missing or expired credentials, and per-connection subscription limits.
 *
 * Constructor parameters name their tokens (here and in every tasklist provider) so that runners
 * without decorator metadata, such as tsx for the benchmarks, can build them too.
 */
@Injectable()
export class GraphqlWsServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Tasklist');
  private wss: WebSocketServer | null = null;
  private protocol: GraphqlWsProtocol<Extra> | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private httpServer: Server | null = null;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) =>
    this.upgrade(request, socket, head);

  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(GraphQLSchemaHost) private readonly schemaHost: GraphQLSchemaHost,
    @Inject(Authenticator) private readonly authenticator: Authenticator,
    @Inject(TasklistContextFactory) private readonly contexts: TasklistContextFactory,
    @Inject(QueryLimits) private readonly limits: QueryLimits,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
    @Inject(GRAPHQL_WS_DRAIN) drain: GraphqlWsDrain,
  ) {
    drain.onDrain(() => this.closeAll());
  }

  onApplicationBootstrap(): void {
    const httpServer = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!httpServer) return;
    this.httpServer = httpServer;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxPayloadBytes,
      handleProtocols: (protocols) => handleProtocols(protocols),
    });
    const schema = this.schemaHost.schema;
    this.protocol = makeServer<Record<string, unknown> | undefined, Extra>({
      schema,
      connectionInitWaitTimeout: 10_000,
      onConnect: (ctx) => this.connect(ctx),
      // Unexpected errors reach the client without their details, as over HTTP.
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatForClient(e.toJSON(), e)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((e) => formatForClient(e.toJSON(), e)) }
          : undefined,
      onSubscribe: async (ctx, _id, payload) => {
        const identity = ctx.extra.identity;
        if (!identity) return [tasklistError('UNAUTHENTICATED', 'not authenticated')];
        // graphql-ws registers the operation before this hook, so the count includes it.
        const open = Object.keys(ctx.subscriptions).length;
        if (open > this.options.maxSubscriptionsPerConnection) {
          return [
            tasklistError(
              'TOO_MANY_SUBSCRIPTIONS',
              `a connection may hold at most ${this.options.maxSubscriptionsPerConnection} subscriptions`,
            ),
          ];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: MAX_DOCUMENT_TOKENS });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) return errors;
        if (!getOperationAST(document, payload.operationName)) {
          return [new GraphQLError('Unable to identify operation')];
        }
        const limited = this.limits.check(schema, document, payload.operationName, payload.variables);
        if (limited.length > 0) return limited;
        return {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue: await this.contexts.forSocket(identity),
        };
      },
    });
    this.wss.on('connection', (socket: WebSocket, request: IncomingMessage) => this.open(socket, request));
    // Dead peers are found by ping/pong; their subscriptions end with the socket. The sweep waits for the
    // input already received (setImmediate runs after the poll phase), so that a pong read late counts.
    this.keepAlive = setInterval(() => {
      setImmediate(() =>
        this.liveness.sweep(
          this.wss?.clients ?? [],
          (socket) => socket.ping(),
          (socket) => socket.terminate(),
        ),
      );
    }, KEEP_ALIVE_MS);
    this.keepAlive.unref();
    httpServer.on('upgrade', this.onUpgrade);
  }

  private readonly liveness = new PeerLiveness<WebSocket>();
  /** Open, authenticated connections per user. */
  private readonly connections = new Map<string, number>();

  /** Runs the graphql-ws protocol on one socket. */
  private open(socket: WebSocket, request: IncomingMessage): void {
    const protocol = this.protocol;
    if (!protocol) return socket.close(CLOSE_GOING_AWAY, GOING_AWAY_REASON);
    this.liveness.seen(socket);
    socket.on('pong', () => this.liveness.seen(socket));
    socket.on('message', () => this.liveness.seen(socket));
    socket.once('error', (error) => {
      this.logger.warn(`TASKLIST-302 socket error: ${error.message}`);
      socket.close(CloseCode.BadRequest, error.message.slice(0, 120));
    });
    const extra: Extra = { socket, request };
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (error) {
              this.logger.error(`TASKLIST-303 graphql-ws message failed: ${String(error)}`);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      if (extra.expiry) clearTimeout(extra.expiry);
      extra.untrack?.();
      if (extra.counted && extra.identity) {
        const left = (this.connections.get(extra.identity.userId) ?? 1) - 1;
        if (left > 0) this.connections.set(extra.identity.userId, left);
        else this.connections.delete(extra.identity.userId);
      }
      void closed(code, String(reason));
    });
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '').split('?')[0];
    if (path !== this.options.path || !this.wss) return;
    const wss = this.wss;
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  }

  private async connect(ctx: Context<Record<string, unknown> | undefined, Extra>): Promise<boolean> {
    const { socket } = ctx.extra;
    ctx.extra.untrack ??= trackConnection(ctx);
    try {
      const { identity, expiresAt } = await this.authenticator.authenticate(ctx.connectionParams ?? {});
      const open = this.connections.get(identity.userId) ?? 0;
      if (open >= this.options.maxConnectionsPerUser) {
        this.logger.warn(`TASKLIST-304 user ${identity.userId}: ${open} connections open, refusing another`);
        socket.close(CLOSE_TOO_MANY_CONNECTIONS, 'Too many connections');
        return false;
      }
      if (socket.readyState !== socket.OPEN) return false;
      this.connections.set(identity.userId, open + 1);
      ctx.extra.counted = true;
      ctx.extra.identity = identity;
      if (expiresAt !== null) this.closeAt(ctx.extra, expiresAt);
      return true;
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      // Closed here with 4401; graphql-ws's own close (4403) then finds the socket closing already.
      socket.close(CLOSE_UNAUTHORIZED, `Unauthorized: ${error.message}`.slice(0, 120));
      return false;
    }
  }

  private closeAt(extra: Extra, expiresAt: number): void {
    const delay = expiresAt - Date.now();
    if (delay > MAX_TIMER_MS) {
      extra.expiry = setTimeout(() => this.closeAt(extra, expiresAt), MAX_TIMER_MS);
      return;
    }
    extra.expiry = setTimeout(
      () => {
        this.logger.log(`TASKLIST-301 user ${extra.identity?.userId}: token expired, closing the socket`);
        extra.socket.close(CLOSE_UNAUTHORIZED, 'Unauthorized: token expired');
      },
      Math.max(delay, 0),
    );
  }

  /**
   * Stops taking connections and closes the open ones with 1001; resolves once they answered the close
   * or, after {@link CLOSE_HANDSHAKE_MS}, were cut. The close frames go out before the first `await`.
   */
  private async closeAll(): Promise<void> {
    this.httpServer?.off('upgrade', this.onUpgrade);
    if (this.keepAlive) clearInterval(this.keepAlive);
    const wss = this.wss;
    this.wss = null;
    this.protocol = null;
    if (!wss) return;
    const open = [...wss.clients];
    if (open.length > 0) {
      this.logger.log(
        `TASKLIST-310 stopping: closing ${open.length} graphql-ws connections with ${CLOSE_GOING_AWAY}`,
      );
    }
    for (const socket of open) socket.close(CLOSE_GOING_AWAY, GOING_AWAY_REASON);
    const cut = setTimeout(() => open.forEach((socket) => socket.terminate()), CLOSE_HANDSHAKE_MS);
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    clearTimeout(cut);
  }

  /** Without an HTTP drain (an application closed without Apollo's stop), the connections close here. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.closeAll();
  }
}
