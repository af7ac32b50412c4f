// A TCP proxy between virtnet and a sandbox host's sshd that can cut every connection at a chosen point (after so
// many bytes have crossed it) and refuse new ones for a while: a dropped SSH connection, on demand.
import net from "node:net";

export class CuttingProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private downUntil = 0;
  private cutAfter = Infinity;
  /** Bytes that crossed the proxy (both directions) since the last reset. */
  bytes = 0;
  /** How many times it cut the connections. */
  cuts = 0;

  constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.accept(client));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => resolve((this.server.address() as net.AddressInfo).port)));
  }

  /** Cut when `bytes` reaches the threshold, then refuse connections for `downMs`. */
  armAt(threshold: number, downMs = 300): void {
    this.bytes = 0;
    this.cutAfter = threshold;
    this.downMs = downMs;
  }

  disarm(): void {
    this.cutAfter = Infinity;
    this.bytes = 0;
  }

  private downMs = 300;

  private cutNow(): void {
    this.cutAfter = Infinity;
    this.cuts++;
    this.downUntil = Date.now() + this.downMs;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  private count(n: number): void {
    this.bytes += n;
    if (this.bytes >= this.cutAfter) this.cutNow();
  }

  private accept(client: net.Socket): void {
    if (Date.now() < this.downUntil) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    }
    client.on("data", (d: Buffer) => {
      upstream.write(d);
      this.count(d.length);
    });
    upstream.on("data", (d: Buffer) => {
      client.write(d);
      this.count(d.length);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
