// Engine-faithful harness, engine half: a minimal Pulumi engine (preview, up, refresh, destroy) that performs each
// step against Pulumi's real dynamic-provider plugin. Used by the e2e tests, the demo and the benchmarks; not test code.
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { runProgram, type ReadRegistration, type Registration, type RegistrationResult } from "./capture-program";
import { deletionOrder, dependencyOrder } from "./dependency-order";
import { ProviderError, ProviderPlugin, type DiffResult } from "./provider-plugin";
import { downgradeResourceRefs } from "./resource-refs";
import { stripSecrets, wrapSecrets } from "./secrets";
import type {
  EngineResult,
  InstalledPackage,
  Program,
  PropertyMap,
  ResourceState,
  StepEvent,
  StepOp,
} from "./types";
import { UNKNOWN } from "./unknown";

export interface EngineOptions {
  pkg: InstalledPackage;
  /** Name the program's `pkg` is required by from the install dir. */
  packageName: string;
  project?: string;
  stack?: string;
  /** Stack configuration (`<namespace>:<key>` → value), visible to the program and the provider's `configure`. */
  config?: Record<string, string>;
  /** Upper bound for one provider call; defaults to two minutes. */
  callTimeoutMs?: number;
}

/** A resource the engine holds in state, plus what it needs to plan dependent replacements. */
interface Entry extends ResourceState {
  urn: string;
  propertyDependencies: Record<string, string[]>;
  /** The create failed to initialize it (a partial failure): Pulumi's engine updates it on the next deployment whatever the diff says. */
  initErrors?: string[];
}

/** Per-deployment bookkeeping shared by the steps of one `preview`/`up`. */
interface Deployment {
  preview: boolean;
  plugin: ProviderPlugin;
  result: EngineResult;
  registered: Set<string>;
  /** Old halves of create-before-delete replacements, deleted once the program has finished. */
  condemned: Entry[];
  /** Dependents deleted ahead of a delete-before-replace; when they register again they are replacements. */
  deletedForReplace: Map<string, { old: Entry; keys: string[] }>;
}

const PROVIDER_KEY = "__provider";

/**
 * A minimal Pulumi engine: the program runs in-process under the SDK's mock monitor, and every resource step is
 * performed against Pulumi's real dynamic-provider plugin while the program waits for the registration's answer.
 */
export class Engine {
  readonly project: string;
  readonly stack: string;
  private readonly entries = new Map<string, Entry>();
  private plugin?: Promise<ProviderPlugin>;

  constructor(private readonly opts: EngineOptions) {
    this.project = opts.project ?? "harness";
    this.stack = opts.stack ?? "test";
  }

  get state(): ReadonlyMap<string, ResourceState> {
    return new Map(
      [...this.entries].map(([urn, e]) => [
        urn,
        {
          type: e.type,
          id: e.id,
          inputs: e.inputs,
          outputs: e.outputs,
          secretOutputs: e.secretOutputs,
          dependencies: e.dependencies,
        },
      ]),
    );
  }

  preview(program: Program): Promise<EngineResult> {
    return this.deploy(program, true);
  }

  up(program: Program): Promise<EngineResult> {
    return this.deploy(program, false);
  }

  /** Reads every resource at once, as the engine's refresh does; steps are reported in dependency order. */
  async refresh(): Promise<EngineResult> {
    const plugin = await this.getPlugin();
    const result = emptyResult();
    const entries = dependencyOrder([...this.entries.values()]);
    const reads = await Promise.all(
      entries.map((entry) =>
        plugin.read(entry.id, entry.urn, entry.outputs, entry.inputs).then(
          (read) => ({ read }),
          (err: unknown) => ({ err }),
        ),
      ),
    );
    entries.forEach((entry, i) => {
      const r = reads[i];
      if ("err" in r) {
        result.errors.push({ urn: entry.urn, message: messageOf(r.err) });
        return;
      }
      if (!r.read.id) {
        this.entries.delete(entry.urn);
        result.steps.push(stepEvent(entry.urn, "refresh-delete"));
        return;
      }
      const outputs = r.read.properties;
      this.entries.set(entry.urn, {
        ...entry,
        id: r.read.id,
        inputs: r.read.inputs ?? entry.inputs,
        outputs,
        // The plugin saw plain values; secrecy carries over by property name, as the engine does.
        secretOutputs: entry.secretOutputs.filter((k) => k in outputs),
      });
      result.steps.push({ ...stepEvent(entry.urn, "read"), diffs: changedKeys(entry.outputs, outputs) });
    });
    return result;
  }

  async destroy(): Promise<EngineResult> {
    const plugin = await this.getPlugin();
    const result = emptyResult();
    await this.deleteAll([...this.entries.values()], plugin, result);
    return result;
  }

  /** What the plugin process printed so far (its console and uncaught errors), for leak checks. */
  async pluginLog(): Promise<string> {
    return (await this.plugin?.catch(() => undefined))?.log ?? "";
  }

  async dispose(): Promise<void> {
    const plugin = this.plugin;
    this.plugin = undefined;
    await (await plugin?.catch(() => undefined))?.kill();
  }

  /** The running plugin's process id, starting it if needed. */
  async pluginPid(): Promise<number | undefined> {
    return (await this.getPlugin()).pid;
  }

  private getPlugin(): Promise<ProviderPlugin> {
    this.plugin ??= ProviderPlugin.start({
      installDir: this.opts.pkg.dir,
      project: this.project,
      stack: this.stack,
      config: this.opts.config,
      callTimeoutMs: this.opts.callTimeoutMs,
    });
    return this.plugin;
  }

  private get sdkDir(): string {
    return path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [this.opts.pkg.dir] }));
  }

  private async deploy(program: Program, preview: boolean): Promise<EngineResult> {
    const d: Deployment = {
      preview,
      plugin: await this.getPlugin(),
      result: emptyResult(),
      registered: new Set(),
      condemned: [],
      deletedForReplace: new Map(),
    };
    const modules = {
      pkg: this.opts.pkg.require(this.opts.packageName),
      pulumi: this.opts.pkg.require("@pulumi/pulumi"),
    };
    const programErrors = await runProgram(
      { sdkDir: this.sdkDir, project: this.project, stack: this.stack, preview, config: this.opts.config },
      () => program(modules),
      { register: (reg) => this.register(reg, d), read: (reg) => this.readExternal(reg, d) },
    );
    const stackUrn = `urn:pulumi:${this.stack}::${this.project}::pulumi:pulumi:Stack::${this.project}-${this.stack}`;
    d.result.errors.push(...programErrors.map((message) => ({ urn: stackUrn, message })));

    // Like the engine, only a program that ran to completion proves that missing resources were removed on purpose.
    const clean = d.result.errors.length === 0 && d.result.failures.length === 0;
    const removed = clean ? [...this.entries.values()].filter((e) => !d.registered.has(e.urn)) : [];
    if (preview) {
      for (const e of deletionOrder(removed)) {
        d.result.steps.push(stepEvent(e.urn, "delete"));
      }
    } else {
      // The old half of a replacement is part of its "replace" step, not a step of its own.
      await this.deleteAll([...d.condemned, ...removed], d.plugin, d.result, new Set(d.condemned));
    }
    // A dependent deleted for a delete-before-replace that the program no longer declares stays deleted.
    for (const [urn] of d.deletedForReplace) {
      if (!d.registered.has(urn)) {
        d.result.steps.push(stepEvent(urn, "delete"));
      }
    }
    return d.result;
  }

  /** Deletes dependents before their dependencies; a failed delete protects what it depends on. */
  /**
   * Deletes each item as soon as everything that depends on it is gone, so independent resources are deleted
   * in parallel as the engine does; an item whose dependent failed to delete is left alone.
   */
  private async deleteAll(
    items: Entry[],
    plugin: ProviderPlugin,
    result: EngineResult,
    silent: ReadonlySet<Entry> = new Set(),
  ): Promise<void> {
    const ordered = deletionOrder(items);
    for (const e of ordered) {
      if (!silent.has(e)) {
        result.steps.push(stepEvent(e.urn, "delete"));
      }
    }
    const done = new Map<string, Promise<boolean>>();
    const remove = async (e: Entry): Promise<boolean> => {
      const dependents = items.filter((o) => o.dependencies.includes(e.urn));
      const dependentsGone = await Promise.all(dependents.map((d) => done.get(d.urn) ?? Promise.resolve(true)));
      if (dependentsGone.includes(false)) {
        return false;
      }
      try {
        await plugin.delete(e.id, e.urn, e.outputs, e.inputs);
        if (this.entries.get(e.urn) === e) {
          this.entries.delete(e.urn);
        }
        return true;
      } catch (err) {
        result.errors.push({ urn: e.urn, message: messageOf(err) });
        return false;
      }
    };
    // Dependents come first in deletion order, so their promises exist before anything waits on them.
    for (const e of ordered) {
      done.set(e.urn, remove(e));
    }
    await Promise.all(done.values());
  }

  private async readExternal(reg: ReadRegistration, d: Deployment): Promise<RegistrationResult> {
    const { plain, secretKeys } = stripSecrets(downgradeResourceRefs(reg.inputs) as PropertyMap);
    d.result.steps.push(stepEvent(reg.urn, "read"));
    try {
      const read = await d.plugin.read(reg.id, reg.urn, {}, plain);
      if (!read.id) {
        throw new Error(`resource '${reg.id}' does not exist`);
      }
      return { id: read.id, outputs: wrapSecrets(read.properties, secretKeys) };
    } catch (err) {
      d.result.errors.push({ urn: reg.urn, message: messageOf(err) });
      return { outputs: {}, failed: true };
    }
  }

  private async register(reg: Registration, d: Deployment): Promise<RegistrationResult> {
    const fail = (message?: string): RegistrationResult => {
      if (message !== undefined) {
        d.result.errors.push({ urn: reg.urn, message });
      }
      return { outputs: {}, failed: true };
    };
    if (d.registered.has(reg.urn)) {
      return fail(`Duplicate resource URN '${reg.urn}'; try giving it a unique name`);
    }
    // Even a failing registration shows the resource is still wanted, so it must not be deleted as removed.
    d.registered.add(reg.urn);
    d.result.registrations.push({ urn: reg.urn, type: reg.type, name: reg.name, inputs: reg.inputs });
    if (reg.inputs[PROVIDER_KEY] === undefined) {
      return fail(`${reg.type} is not a dynamic resource; the harness only drives the dynamic provider`);
    }

    const old = this.entries.get(reg.urn);
    const pendingReplace = d.deletedForReplace.get(reg.urn);
    const olds = old ?? pendingReplace?.old;
    const { plain, secretKeys } = stripSecrets(downgradeResourceRefs(reg.inputs) as PropertyMap);
    const news = applyIgnoreChanges(plain, olds?.inputs, reg.ignoreChanges);

    let inputs: PropertyMap;
    try {
      const checked = await d.plugin.check(reg.urn, olds?.inputs ?? {}, news);
      if (checked.failures.length > 0) {
        d.result.failures.push(...checked.failures.map((f) => ({ urn: reg.urn, ...f })));
        return fail();
      }
      inputs = checked.inputs;
    } catch (err) {
      return fail(messageOf(err));
    }
    const secretInputs = secretKeys.filter((k) => k in inputs);
    const secretsFor = (outputs: PropertyMap) =>
      [...new Set([...secretInputs, ...reg.additionalSecretOutputs])].filter((k) => k in outputs);
    const entryFor = (id: string, outputs: PropertyMap): Entry => ({
      urn: reg.urn,
      type: reg.type,
      id,
      inputs,
      outputs,
      secretOutputs: secretsFor(outputs),
      dependencies: reg.dependencies,
      propertyDependencies: reg.propertyDependencies,
    });

    let op: StepOp;
    let diff: DiffResult = { changes: "some", replaces: [], diffs: [], deleteBeforeReplace: false };
    if (pendingReplace) {
      op = "replace";
      diff = { ...diff, replaces: pendingReplace.keys, deleteBeforeReplace: true };
    } else if (!old) {
      op = "create";
    } else {
      try {
        diff = await this.diff(reg, old, inputs, d.plugin);
      } catch (err) {
        return fail(messageOf(err));
      }
      // Like Pulumi's step generator: a resource with initialization errors is updated even without a change.
      op = diff.replaces.length > 0 && diff.changes === "some" ? "replace" : diff.changes === "some" || (old.initErrors?.length ?? 0) > 0 ? "update" : "same";
    }
    const step: StepEvent = {
      ...stepEvent(reg.urn, op),
      diffs: op === "same" || op === "create" ? [] : diff.diffs,
      replaces: op === "replace" ? diff.replaces : [],
      deleteBeforeReplace: op === "replace" && diff.deleteBeforeReplace,
      detailedDiff: diff.detailedDiff,
    };
    d.result.steps.push(step);

    if (op === "same") {
      const entry = { ...entryFor(old!.id, old!.outputs), secretOutputs: mergeSecrets(old!, secretsFor(old!.outputs)) };
      if (!d.preview) {
        this.entries.set(reg.urn, entry);
      }
      return { id: entry.id, outputs: wrapSecrets(entry.outputs, entry.secretOutputs) };
    }

    const replacesDependents = op === "replace" && step.deleteBeforeReplace && old !== undefined && !pendingReplace;
    if (d.preview) {
      if (replacesDependents) {
        try {
          await this.replaceDependents(old!, d);
        } catch (err) {
          return fail(messageOf(err));
        }
      }
      // The plugin does not support provider-side previews, so the engine echoes the checked inputs as outputs; the
      // SDK then treats every output that is not an input (and a new ID) as unknown.
      const id = op === "update" ? old!.id : "";
      return { id, outputs: wrapSecrets(inputs, secretsFor(inputs)) };
    }

    try {
      if (op === "update") {
        const updated = await d.plugin.update(old!.id, reg.urn, old!.outputs, inputs, old!.inputs);
        const entry = entryFor(old!.id, updated.properties);
        this.entries.set(reg.urn, entry);
        return { id: entry.id, outputs: wrapSecrets(entry.outputs, entry.secretOutputs) };
      }
      if (replacesDependents) {
        await this.replaceDependents(old!, d);
        await d.plugin.delete(old!.id, old!.urn, old!.outputs, old!.inputs);
        this.entries.delete(reg.urn);
      }
      const created = await d.plugin.create(reg.urn, inputs);
      if (!created.id) {
        return fail(`provider returned an empty ID from create of ${reg.urn}`);
      }
      if (op === "replace" && !step.deleteBeforeReplace && old) {
        d.condemned.push(old);
      }
      const entry = entryFor(created.id, created.properties);
      this.entries.set(reg.urn, entry);
      return { id: entry.id, outputs: wrapSecrets(entry.outputs, entry.secretOutputs) };
    } catch (err) {
      // A resource that was created but failed to initialize exists, so the engine records it.
      if (err instanceof ProviderError && err.initFailed) {
        const id = err.initFailed.id || old?.id || "";
        this.entries.set(reg.urn, { ...entryFor(id, err.initFailed.properties), initErrors: [messageOf(err)] });
      }
      return fail(messageOf(err));
    }
  }

  /** Diffs like the engine: the provider decides, and an undecided provider gets the engine's input comparison. */
  private async diff(reg: Registration, old: Entry, inputs: PropertyMap, plugin: ProviderPlugin): Promise<DiffResult> {
    const d = await plugin.diff(old.id, reg.urn, old.outputs, inputs, old.inputs);
    const changed = changedKeys(old.inputs, inputs);
    const changes = d.changes === "unknown" ? (changed.length > 0 ? "some" : "none") : d.changes;
    // The dynamic provider never reports which keys changed, so the engine derives them from the inputs.
    const diffs = d.diffs.length > 0 ? d.diffs : changed;
    const replaces = [...new Set([...d.replaces, ...reg.replaceOnChanges.filter((k) => diffs.includes(k))])];
    const deleteBeforeReplace = reg.deleteBeforeReplace ?? d.deleteBeforeReplace;
    return { ...d, changes, diffs, replaces, deleteBeforeReplace };
  }

  /**
   * Before a delete-before-replace, the engine deletes the dependents that would have to be replaced anyway: those
   * whose provider demands replacement once the inputs fed by the condemned resources become unknown.
   */
  private async replaceDependents(root: Entry, d: Deployment): Promise<void> {
    const condemned = new Set([root.urn]);
    const doomed: { entry: Entry; keys: string[] }[] = [];
    for (const entry of dependencyOrder([...this.entries.values()])) {
      if (condemned.has(entry.urn) || d.deletedForReplace.has(entry.urn)) {
        continue;
      }
      const affected = Object.entries(entry.propertyDependencies)
        .filter(([, urns]) => urns.some((u) => condemned.has(u)))
        .map(([k]) => k);
      if (affected.length === 0) {
        continue;
      }
      const news = { ...entry.inputs, ...Object.fromEntries(affected.map((k) => [k, UNKNOWN])) };
      const diff = await d.plugin.diff(entry.id, entry.urn, entry.outputs, news, entry.inputs);
      if (diff.replaces.length > 0) {
        condemned.add(entry.urn);
        doomed.push({ entry, keys: diff.replaces });
      }
    }
    for (const { entry, keys } of doomed.reverse()) {
      d.deletedForReplace.set(entry.urn, { old: entry, keys });
      if (!d.preview) {
        await d.plugin.delete(entry.id, entry.urn, entry.outputs, entry.inputs);
        this.entries.delete(entry.urn);
      }
    }
  }
}

function emptyResult(): EngineResult {
  return { steps: [], failures: [], errors: [], registrations: [] };
}

function stepEvent(urn: string, op: StepOp): StepEvent {
  const parts = urn.split("::");
  return {
    urn,
    type: parts[2]?.split("$").pop() ?? "",
    name: parts.slice(3).join("::"),
    op,
    diffs: [],
    replaces: [],
    deleteBeforeReplace: false,
  };
}

function changedKeys(olds: PropertyMap, news: PropertyMap): string[] {
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !isDeepStrictEqual(olds[k], news[k]));
}

/** `ignoreChanges` keeps the old input value for the listed top-level properties. */
function applyIgnoreChanges(news: PropertyMap, olds: PropertyMap | undefined, ignore: string[]): PropertyMap {
  if (!olds || ignore.length === 0) {
    return news;
  }
  const out = { ...news };
  for (const k of ignore) {
    if (k in olds) {
      out[k] = olds[k];
    } else {
      delete out[k];
    }
  }
  return out;
}

function mergeSecrets(old: ResourceState, more: string[]): string[] {
  return [...new Set([...old.secretOutputs, ...more])];
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
