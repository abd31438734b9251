/** Serving a created app (server/http/app.ts) on a port, for the HTTP, WebSocket and browser tests. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreatedApp } from '../../server/http/app.js';
import type { FakeEngine } from '../fake-engine.js';

export interface ListeningApp {
  server: Server;
  port: number;
  /** Closes the app's sockets, drops open connections and waits for the server to close. */
  close(): Promise<void>;
}

/** Listens with the app and its WebSockets on host:port (0: a free port). */
export async function listenApp(created: CreatedApp, port = 0, host = '127.0.0.1'): Promise<ListeningApp> {
  const server = createServer(created.app);
  created.attachWebSockets(server);
  await new Promise<void>((r) => server.listen(port, host, r));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      created.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export interface ServedFakeEngine {
  port: number;
  engine: FakeEngine;
  created: CreatedApp;
  server: Server;
  /** Stops the server, then shuts the engine down. */
  close(): Promise<void>;
}

/** An app over the fake engine, listening on host:port (0: a free port). */
export async function serveFakeEngine(engine: FakeEngine, created: CreatedApp, port = 0, host = '127.0.0.1'): Promise<ServedFakeEngine> {
  const listening = await listenApp(created, port, host);
  return {
    port: listening.port,
    engine,
    created,
    server: listening.server,
    async close() {
      await listening.close();
      await engine.shutdown();
    },
  };
}
