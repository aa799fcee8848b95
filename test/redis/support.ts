import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from 'retryable/redis';

/** A client of either kind, with what the tests need beyond the store's own use. */
export interface TestClient {
  readonly client: RedisClientLike;
  /** Raw command, for inspecting keys. */
  command(...args: string[]): Promise<unknown>;
  /** Resolves once the client is connected and ready (again). */
  ready(): Promise<void>;
  quit(): Promise<void>;
}

export type ClientKind = 'ioredis' | 'redis';
export const clientKinds: readonly ClientKind[] = ['ioredis', 'redis'];

/** Connects to 127.0.0.1:port; errors are expected in fault tests, so they are swallowed, not thrown as events. */
export async function connect(kind: ClientKind, port = 6379): Promise<TestClient> {
  if (kind === 'ioredis') {
    const client = new Redis({ host: '127.0.0.1', port, retryStrategy: () => 20, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    const ready = async () => {
      if (client.status !== 'ready') await once(client, 'ready');
    };
    await ready();
    return { client, ready, command: (...args) => client.call(args[0]!, ...args.slice(1)), quit: async () => void client.disconnect() };
  }
  const client = createClient({ socket: { host: '127.0.0.1', port, reconnectStrategy: () => 20 } });
  client.on('error', () => {});
  await client.connect();
  const ready = async () => {
    if (!client.isReady) await once(client, 'ready');
  };
  return { client, ready, command: (...args) => client.sendCommand(args), quit: async () => void client.destroy() };
}

/** A prefix no other test or run uses. */
export function uniquePrefix(): string {
  return `retryable-test-${randomUUID()}`;
}

/** Every key under a prefix, sorted. */
export async function keysUnder(client: TestClient, prefix: string): Promise<string[]> {
  const keys = (await client.command('KEYS', `${prefix}:*`)) as string[];
  return [...keys].sort();
}

export async function deleteUnder(client: TestClient, prefix: string): Promise<void> {
  const keys = await keysUnder(client, prefix);
  if (keys.length > 0) await client.command('DEL', ...keys);
}

/** A redis-server of this test's own, on a free port, so fault tests never stop the shared one. */
export class PrivateRedis {
  private process: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    for (let tries = 0; ; tries++) {
      const server = new PrivateRedis(6390 + Math.floor(Math.random() * 2000));
      try {
        await server.restart();
        return server;
      } catch (error) {
        if (tries === 5) throw error;
      }
    }
  }

  /** Starts (again) on the same port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', () => reject(new Error(`redis-server on port ${this.port} exited: ${output.slice(-300)}`)));
    });
  }

  /** Stops it at once, as a crash would (SIGKILL: nothing is saved, no client is told). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

/**
 * A TCP server that speaks just enough RESP for a client to connect and become ready, then
 * answers each EVAL/EVALSHA as told: never ('silent', a server too slow to matter), with a
 * protocol error ('nonsense'), or with a well-formed reply of the wrong shape ('wrong-shape').
 */
export async function fakeRedis(mode: 'silent' | 'nonsense' | 'wrong-shape'): Promise<{ port: number; evals: () => number; close: () => Promise<void> }> {
  let evals = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let command = takeCommand(); command !== undefined; command = takeCommand()) {
        const name = command[0]!.toUpperCase();
        if (name === 'EVAL' || name === 'EVALSHA') {
          evals++;
          if (mode === 'nonsense') socket.write('?this is not RESP\r\n');
          if (mode === 'wrong-shape') socket.write(':42\r\n');
        } else if (name === 'INFO') {
          const info = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          socket.write(`$${info.length}\r\n${info}\r\n`);
        } else if (name === 'PING') {
          socket.write('+PONG\r\n');
        } else {
          socket.write('+OK\r\n');
        }
      }
    });
    // Clients send commands as arrays of bulk strings: *<n>\r\n then $<len>\r\n<bytes>\r\n per part.
    const takeCommand = (): string[] | undefined => {
      const header = /^\*(\d+)\r\n/.exec(buffered);
      if (header === null) return undefined;
      let at = header[0].length;
      const parts: string[] = [];
      for (let i = 0; i < Number(header[1]); i++) {
        const bulk = /^\$(\d+)\r\n/.exec(buffered.slice(at));
        if (bulk === null) return undefined;
        const start = at + bulk[0].length;
        const end = start + Number(bulk[1]);
        if (buffered.length < end + 2) return undefined;
        parts.push(buffered.slice(start, end));
        at = end + 2;
      }
      buffered = buffered.slice(at);
      return parts;
    };
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    evals: () => evals,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
