import type { AddressInfo, Socket } from "node:net";
import { PeerServer } from "peer";
import type { BrokerOptions } from "../broker.js";

/** A running PeerJS broker for tests. */
export interface TestBroker {
  /** Pass as `initMeeting({ broker })`. */
  readonly broker: Required<Pick<BrokerOptions, "host" | "port" | "path" | "key">> & { secure: false };
  /** Stops the broker and drops every client connection (they see the broker vanish). */
  close(): Promise<void>;
}

export interface StartBrokerOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "/broker". */
  path?: string;
  /** Further options of the `peer` package (e.g. `alive_timeout`). */
  peerOptions?: Record<string, unknown>;
}

/** Starts a real PeerJS broker (the `peer` package) on a free local port. */
export function startBroker(options: StartBrokerOptions = {}): Promise<TestBroker> {
  const host = options.host ?? "127.0.0.1";
  const path = options.path ?? "/broker";
  return new Promise((resolve, reject) => {
    const app = PeerServer({ ...options.peerOptions, port: options.port ?? 0, host, path }, (server) => {
      // WebSocket upgrades leave the http server's own bookkeeping: track sockets to end them on close.
      const sockets = new Set<Socket>();
      server.on("connection", (socket: Socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      });
      const { port } = server.address() as AddressInfo;
      resolve({
        broker: { host, port, path, key: "peerjs", secure: false },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
    app.once("error", reject);
  });
}
