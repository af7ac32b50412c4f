// Engine-faithful harness: Pulumi's own dynamic-provider plugin as a child process, driven over gRPC as the engine
// drives it.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { forgetPid, killOnExit } from "./exit-cleanup";
import type { PropertyMap } from "./types";

export interface CheckResult {
  inputs: PropertyMap;
  failures: { property: string; reason: string }[];
}

export type DiffChanges = "unknown" | "none" | "some";

export interface DiffResult {
  changes: DiffChanges;
  replaces: string[];
  diffs: string[];
  deleteBeforeReplace: boolean;
  detailedDiff?: unknown;
}

export interface ReadResult {
  id: string;
  properties: PropertyMap;
  inputs?: PropertyMap;
}

/** A failed provider call; `initFailed` is set when a Create/Update left a resource that exists but is unhealthy. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly initFailed?: { id: string; properties: PropertyMap; reasons: string[] },
  ) {
    super(message);
  }
}

interface Protos {
  grpc: any;
  struct: any;
  provider: any;
  providerRpc: any;
  status: any;
}

function loadProtos(pulumiDir: string): Protos {
  // grpc-js and google-protobuf must be the copies the installed SDK uses: generated message classes
  // check `instanceof` against their own runtime.
  const fromPulumi = (id: string) => require(require.resolve(id, { paths: [pulumiDir] }));
  return {
    grpc: fromPulumi("@grpc/grpc-js"),
    struct: fromPulumi("google-protobuf/google/protobuf/struct_pb"),
    provider: require(path.join(pulumiDir, "proto", "provider_pb.js")),
    providerRpc: require(path.join(pulumiDir, "proto", "provider_grpc_pb.js")),
    status: require(path.join(pulumiDir, "proto", "status_pb.js")),
  };
}

/**
 * Pulumi's real dynamic-provider plugin (`cmd/dynamic-provider`), spawned from an install dir and driven over gRPC the
 * way the engine drives it. Property maps go over the wire as-is: callers strip secrets first (the plugin declines
 * them), unknowns travel as the unknown sentinel string.
 */
export class ProviderPlugin {
  private output = "";

  /** The plugin's process id (the benchmark reads its peak memory). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private constructor(
    private readonly child: ChildProcess,
    private readonly client: any,
    private readonly protos: Protos,
    private readonly callTimeoutMs: number,
  ) {
    child.stdout?.on("data", (d: Buffer) => this.record(d));
    child.stderr?.on("data", (d: Buffer) => this.record(d));
  }

  static async start(opts: {
    installDir: string;
    project: string;
    stack: string;
    config?: Record<string, string>;
    callTimeoutMs?: number;
  }): Promise<ProviderPlugin> {
    const pulumiDir = path.dirname(
      require.resolve("@pulumi/pulumi/package.json", { paths: [opts.installDir] }),
    );
    const protos = loadProtos(pulumiDir);
    const entry = path.join(pulumiDir, "cmd", "dynamic-provider", "index.js");
    // The serialized provider calls require() relative to the plugin's cwd, hence the install dir.
    const child = spawn(process.execPath, [entry, "harness-engine"], {
      cwd: opts.installDir,
      env: { ...process.env, PULUMI_NODEJS_PROJECT: opts.project, PULUMI_NODEJS_STACK: opts.stack },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // A worker that ends without dispose() must not leave a gRPC server running behind it.
    if (child.pid !== undefined) {
      const pid = child.pid;
      killOnExit(pid);
      child.once("exit", () => forgetPid(pid));
    }
    let plugin: ProviderPlugin | undefined;
    try {
      const port = await readPort(child);
      const client = new protos.providerRpc.ResourceProviderClient(
        `127.0.0.1:${port}`,
        protos.grpc.credentials.createInsecure(),
      );
      plugin = new ProviderPlugin(child, client, protos, opts.callTimeoutMs ?? 120_000);
      await plugin.configure(opts.config ?? {});
      return plugin;
    } catch (err) {
      await (plugin ? plugin.kill() : Promise.resolve(child.kill("SIGKILL")));
      throw err;
    }
  }

  /** Tail of what the plugin printed while serving (provider console output, uncaught errors). */
  get log(): string {
    return this.output;
  }

  private record(d: Buffer): void {
    this.output = (this.output + d.toString()).slice(-64 * 1024);
  }

  /** A request of the given kind that names its resource as the engine does (urn, name, type). */
  private request(kind: string, urn: string): any {
    const req = new this.protos.provider[kind]();
    req.setUrn(urn);
    req.setName(urnName(urn));
    req.setType(urnType(urn));
    return req;
  }

  private toStruct(props: PropertyMap): any {
    return this.protos.struct.Struct.fromJavaScript(JSON.parse(JSON.stringify(props)));
  }

  private call<T>(method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      // The real engine waits forever; a deadline turns a wedged plugin into a test failure that shows its log.
      const options = { deadline: Date.now() + this.callTimeoutMs };
      this.client[method](req, new this.protos.grpc.Metadata(), options, (err: any, resp: T) => {
        if (!err) {
          resolve(resp);
          return;
        }
        if (err.code === this.protos.grpc.status.DEADLINE_EXCEEDED || this.child.exitCode !== null) {
          reject(new ProviderError(`${method}: ${err.message}; plugin output:\n${this.output.slice(-4000)}`));
          return;
        }
        try {
          reject(this.toError(err));
        } catch (decodeErr) {
          reject(new ProviderError(`${method}: ${err.message} (undecodable details: ${decodeErr})`));
        }
      });
    });
  }

  private toError(err: any): ProviderError {
    const message = err.details || err.message || String(err);
    const raw = err.metadata?.get?.("grpc-status-details-bin")?.[0];
    if (!raw) {
      return new ProviderError(message);
    }
    const status = this.protos.status.Status.deserializeBinary(new Uint8Array(raw));
    for (const any of status.getDetailsList()) {
      const detail = any.unpack(
        this.protos.provider.ErrorResourceInitFailed.deserializeBinary,
        "pulumirpc.ErrorResourceInitFailed",
      );
      if (detail) {
        return new ProviderError(status.getMessage() || message, {
          id: detail.getId(),
          properties: detail.getProperties()?.toJavaScript() ?? {},
          reasons: detail.getReasonsList(),
        });
      }
    }
    return new ProviderError(message);
  }

  private async configure(config: Record<string, string>): Promise<void> {
    const req = new this.protos.provider.ConfigureRequest();
    req.setArgs(this.toStruct(config));
    for (const [k, v] of Object.entries(config)) {
      req.getVariablesMap().set(k, v);
    }
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    await this.call("configure", req);
  }

  async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult> {
    const req = this.request("CheckRequest", urn);
    
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const resp = await this.call<any>("check", req);
    return {
      inputs: resp.getInputs()?.toJavaScript() ?? {},
      failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(id: string, urn: string, olds: PropertyMap, news: PropertyMap, oldInputs: PropertyMap): Promise<DiffResult> {
    const req = this.request("DiffRequest", urn);
    req.setId(id);
    
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    req.setOldInputs(this.toStruct(oldInputs));
    const resp = await this.call<any>("diff", req);
    const { DIFF_NONE, DIFF_SOME } = this.protos.provider.DiffResponse.DiffChanges;
    const changes = resp.getChanges();
    return {
      changes: changes === DIFF_SOME ? "some" : changes === DIFF_NONE ? "none" : "unknown",
      replaces: resp.getReplacesList(),
      diffs: resp.getDiffsList(),
      deleteBeforeReplace: resp.getDeletebeforereplace(),
      detailedDiff: resp.getHasdetaileddiff()
        ? Object.fromEntries(resp.getDetaileddiffMap().toObject(false, this.protos.provider.PropertyDiff.toObject))
        : undefined,
    };
  }

  async create(urn: string, properties: PropertyMap): Promise<{ id: string; properties: PropertyMap }> {
    const req = this.request("CreateRequest", urn);
    
    req.setProperties(this.toStruct(properties));
    const resp = await this.call<any>("create", req);
    return { id: resp.getId(), properties: resp.getProperties()?.toJavaScript() ?? {} };
  }

  async read(id: string, urn: string, properties: PropertyMap, inputs: PropertyMap): Promise<ReadResult> {
    const req = this.request("ReadRequest", urn);
    req.setId(id);
    
    req.setProperties(this.toStruct(properties));
    req.setInputs(this.toStruct(inputs));
    const resp = await this.call<any>("read", req);
    return {
      id: resp.getId(),
      properties: resp.getProperties()?.toJavaScript() ?? {},
      inputs: resp.hasInputs() ? resp.getInputs().toJavaScript() : undefined,
    };
  }

  async update(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    oldInputs: PropertyMap,
  ): Promise<{ properties: PropertyMap }> {
    const req = this.request("UpdateRequest", urn);
    req.setId(id);
    
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    req.setOldInputs(this.toStruct(oldInputs));
    const resp = await this.call<any>("update", req);
    return { properties: resp.getProperties()?.toJavaScript() ?? {} };
  }

  async delete(id: string, urn: string, properties: PropertyMap, oldInputs: PropertyMap): Promise<void> {
    const req = this.request("DeleteRequest", urn);
    req.setId(id);
    
    req.setProperties(this.toStruct(properties));
    req.setOldInputs(this.toStruct(oldInputs));
    await this.call("delete", req);
  }

  async kill(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    await exited;
  }
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const onStdout = (d: Buffer) => {
      stdout += d.toString();
      const newline = stdout.indexOf("\n");
      if (newline >= 0) {
        cleanup();
        const port = Number(stdout.slice(0, newline).trim());
        if (Number.isInteger(port) && port > 0) {
          resolve(port);
        } else {
          reject(new Error(`dynamic provider printed no port: ${stdout}${stderr}`));
        }
      }
    };
    const onStderr = (d: Buffer) => {
      stderr += d.toString();
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`dynamic provider exited (${code}) before listening: ${stderr}`));
    };
    const cleanup = () => {
      child.stdout?.off("data", onStdout);
      child.stderr?.off("data", onStderr);
      child.off("exit", onExit);
    };
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", onStderr);
    child.on("exit", onExit);
  });
}

function urnName(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

function urnType(urn: string): string {
  return urn.split("::")[2]?.split("$").pop() ?? "";
}
