// Engine-faithful harness, program half: runs a Pulumi program in-process under the SDK's mocks and hands each
// registration, with its inputs exactly as the SDK serialized them, to the engine half (engine.ts).
import * as path from "node:path";
import type { PropertyMap } from "./types";

/** One RegisterResource call, with the inputs exactly as the SDK serialized them. */
export interface Registration {
  type: string;
  name: string;
  urn: string;
  parent: string;
  custom: boolean;
  /** Raw inputs: secrets as signature objects, unknowns as the sentinel, resources as references. */
  inputs: PropertyMap;
  dependencies: string[];
  /** Per input property, the URNs its value came from. */
  propertyDependencies: Record<string, string[]>;
  /** Only set when the program chose a value. */
  deleteBeforeReplace?: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
}

export interface RegistrationResult {
  /** Empty or missing means "not known yet" (a preview of a create). */
  id?: string;
  /** Wire-format outputs: secrets wrapped, unknowns as the sentinel. */
  outputs: PropertyMap;
  /** Tells the SDK the step failed, so dependents fail instead of seeing values. */
  failed?: boolean;
}

/** A `Resource.get` lookup: the engine reads an existing resource by ID. */
export interface ReadRegistration {
  type: string;
  name: string;
  urn: string;
  id: string;
  inputs: PropertyMap;
}

export interface ProgramHooks {
  register(reg: Registration): Promise<RegistrationResult>;
  read(reg: ReadRegistration): Promise<RegistrationResult>;
}

export interface RunOptions {
  /** Directory of the installed @pulumi/pulumi the program and package use. */
  sdkDir: string;
  project: string;
  stack: string;
  preview: boolean;
  config?: Record<string, string>;
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

// The SDK keeps its settings in process-global state, so two programs must never overlap.
let running: Promise<unknown> = Promise.resolve();

/**
 * Runs `program` in-process under `setMocks`, with the mock monitor's registerResource replaced so every
 * registration is answered by `hooks` (the engine half). Resolves to the errors the program itself raised, which the
 * language host would report as a failed run.
 */
export function runProgram(opts: RunOptions, program: () => unknown, hooks: ProgramHooks): Promise<string[]> {
  const run = running.then(() => runExclusive(opts, program, hooks));
  running = run.catch(() => undefined);
  return run;
}

async function runExclusive(opts: RunOptions, program: () => unknown, hooks: ProgramHooks): Promise<string[]> {
  const pulumi = require(opts.sdkDir);
  const resproto = require(path.join(opts.sdkDir, "proto", "resource_pb.js"));
  const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [opts.sdkDir] }));
  const { runtime } = pulumi;

  await runtime.setMocks(
    {
      newResource: () => {
        throw new Error("unreachable: registrations are intercepted");
      },
      call: (args: { token: string }) => {
        throw new Error(`invoke ${args.token} is not supported by the harness`);
      },
    },
    opts.project,
    opts.stack,
    opts.preview,
  );
  runtime.setAllConfig(opts.config ?? {}, []);

  // setMocks installs a MockMonitor; its feature negotiation (secrets and resource references on, output values off)
  // is kept, so raw inputs arrive exactly as they would at an engine without output-value support.
  const monitor = runtime.getMonitor();
  const urnOf = (type: string, name: string, parent: string) => makeUrn(opts.project, opts.stack, type, name, parent);

  monitor.registerResource = (req: any, callback: (err: unknown, resp?: unknown) => void) => {
    const reg: Registration = {
      type: req.getType(),
      name: req.getName(),
      urn: urnOf(req.getType(), req.getName(), req.getParent()),
      parent: req.getParent(),
      custom: req.getCustom(),
      inputs: req.getObject()?.toJavaScript() ?? {},
      dependencies: req.getDependenciesList(),
      propertyDependencies: Object.fromEntries(
        [...req.getPropertydependenciesMap().entries()].map(([k, v]: [string, any]) => [k, v.getUrnsList()]),
      ),
      deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    };
    const respond = async () => {
      const result: RegistrationResult = reg.custom ? await hooks.register(reg) : { outputs: {} };
      const resp = new resproto.RegisterResourceResponse();
      resp.setUrn(reg.urn);
      resp.setId(result.id ?? "");
      resp.setObject(Struct.fromJavaScript(result.outputs));
      resp.setResult(result.failed ? resproto.Result.FAIL : resproto.Result.SUCCESS);
      return resp;
    };
    // An exception must reach the SDK as an RPC error; a dropped callback would leave the program waiting forever.
    respond().then(
      (resp) => callback(null, resp),
      (err) => callback(err),
    );
  };
  monitor.readResource = (req: any, callback: (err: unknown, resp?: unknown) => void) => {
    const reg: ReadRegistration = {
      type: req.getType(),
      name: req.getName(),
      urn: urnOf(req.getType(), req.getName(), req.getParent()),
      id: req.getId(),
      inputs: req.getProperties()?.toJavaScript() ?? {},
    };
    const respond = async () => {
      const result = await hooks.read(reg);
      if (result.failed) {
        throw new Error(`reading ${reg.urn} failed`);
      }
      const resp = new resproto.ReadResourceResponse();
      resp.setUrn(reg.urn);
      resp.setProperties(Struct.fromJavaScript(result.outputs));
      return resp;
    };
    respond().then(
      (resp) => callback(null, resp),
      (err) => callback(err),
    );
  };
  // Components register outputs; the engine only stores them, which the harness does not model.
  monitor.registerResourceOutputs = (_req: unknown, callback: (err: unknown, resp?: unknown) => void) =>
    callback(null, {});

  return captureUnhandled(async (errors) => {
    try {
      await runtime.runInPulumiStack(program);
    } catch (err) {
      errors.push(err);
    }
    // Registrations outlive the program function, and steps already under way finish even when it threw.
    await runtime.disconnect();
  });
}

/**
 * The language host owns its process and turns unhandled rejections into a failed run. Inside a test worker they
 * would instead fail the test run, so they are collected for the duration of the program.
 */
async function captureUnhandled(run: (errors: unknown[]) => Promise<void>): Promise<string[]> {
  const errors: unknown[] = [];
  const saved = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const onRejection = (err: unknown) => {
    errors.push(err);
  };
  process.on("unhandledRejection", onRejection);
  try {
    await run(errors);
  } catch (err) {
    errors.push(err);
  } finally {
    // Rejections are reported once the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", onRejection);
    for (const listener of saved) {
      process.on("unhandledRejection", listener);
    }
  }
  const messages = errors
    .map((e) => (e instanceof Error ? e.message : String(e)))
    // Failed steps are already reported by the engine; the SDK's echo of them to dependents is noise.
    .filter((m) => !/ failed to register$/.test(m));
  return [...new Set(messages)];
}

/** URN as the engine builds it: parent types qualify the child type, except the root stack's. */
export function makeUrn(project: string, stack: string, type: string, name: string, parentUrn: string): string {
  let qualifiedType = type;
  if (parentUrn) {
    const parentQualified = parentUrn.split("::")[2] ?? "";
    if (parentQualified !== ROOT_STACK_TYPE) {
      qualifiedType = `${parentQualified}$${type}`;
    }
  }
  return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}
