/**
 * A loopback TCP proxy between the backend and MongoDB that can cut connections at exact
 * points of a command: before the request reaches MongoDB, or after MongoDB ran it but before
 * its reply reaches the backend (the "did my write land?" case). Commands are recognised by
 * their name in the OP_MSG bytes; one socket carries one command at a time (the driver does not
 * pipeline), so the next bytes from MongoDB on that socket are that command's reply.
 */
import { createServer, type Server, Socket } from 'node:net';

export type CutPoint = 'request' | 'response';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private cuts: { command: Buffer; at: CutPoint; remaining: number }[] = [];
  /** How many cuts happened, per point. */
  readonly cutCount: Record<CutPoint, number> = { request: 0, response: 0 };
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** The proxy's URI for a target URI (direct connection, so the driver never bypasses it). */
  static forUri(uri: string): TcpProxy {
    const url = new URL(uri);
    return new TcpProxy(url.hostname, Number(url.port || 27017));
  }

  uri(options = 'directConnection=true&retryWrites=false&retryReads=false'): string {
    return `mongodb://127.0.0.1:${this.port}/?${options}`;
  }

  async start(): Promise<void> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Cuts the next `times` commands named `command` at `at`. */
  cutNext(command: string, at: CutPoint, times = 1): void {
    this.cuts.push({ command: Buffer.from(`${command}\0`), at, remaining: times });
  }

  /** Cuts nothing more (cuts still pending are dropped). */
  clearCuts(): void {
    this.cuts = [];
  }

  private holds: Buffer[] = [];
  private readonly releases = new Set<() => void>();
  /** Replies being held back (their connection stalls, as a slow or stuck server's would). */
  heldCount = 0;

  /** Holds back MongoDB's replies on the connection of the next command named `command` until `releaseHolds()`. */
  holdNext(command: string): void {
    this.holds.push(Buffer.from(`${command}\0`));
  }

  /** Sends every held reply on, and holds nothing more. */
  releaseHolds(): void {
    this.holds = [];
    for (const release of [...this.releases]) release();
  }

  private pipe(client: Socket): void {
    const upstream = new Socket();
    this.sockets.add(client).add(upstream);
    let awaitingReplyToCut = false;
    let held: Buffer[] | undefined;
    const release = () => {
      this.releases.delete(release);
      const chunks = held ?? [];
      held = undefined;
      this.heldCount = Math.max(0, this.heldCount - (chunks.length > 0 ? 1 : 0));
      for (const chunk of chunks) client.write(chunk);
    };
    const kill = () => {
      this.releases.delete(release);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      const hold = this.holds.findIndex((command) => chunk.includes(command));
      if (hold !== -1 && held === undefined) {
        this.holds.splice(hold, 1);
        held = [];
        this.releases.add(release);
      }
      const cut = this.cuts.find((c) => c.remaining > 0 && chunk.includes(c.command));
      if (cut) {
        cut.remaining -= 1;
        if (cut.at === 'request') {
          this.cutCount.request += 1;
          kill();
          return;
        }
        awaitingReplyToCut = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (held) {
        if (held.length === 0) this.heldCount += 1;
        held.push(chunk);
        return;
      }
      if (awaitingReplyToCut) {
        this.cutCount.response += 1;
        kill();
        return;
      }
      client.write(chunk);
    });
    for (const s of [client, upstream]) {
      s.on('error', kill);
      s.on('close', () => {
        this.sockets.delete(s);
        kill();
      });
    }
    upstream.connect(this.targetPort, this.targetHost);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
