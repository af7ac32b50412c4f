// Engine-faithful harness: the shapes of programs, steps, deployment results and engine state.
export interface InstalledPackage {
  /** Directory holding the fresh `node_modules` the package was installed into. */
  dir: string;
  /** `require` resolved from `dir`, i.e. what a user's program would load. */
  require<T = any>(id: string): T;
}

/** A Pulumi program; `pkg` is the package under test and `pulumi` the SDK, both loaded from the install dir. */
export type Program = (modules: { pkg: any; pulumi: any }) => void | Promise<void>;

export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "read" | "refresh-delete";

export interface StepEvent {
  urn: string;
  type: string;
  name: string;
  op: StepOp;
  diffs: string[];
  replaces: string[];
  deleteBeforeReplace: boolean;
  detailedDiff?: unknown;
}

export interface CheckFailure {
  urn: string;
  property: string;
  reason: string;
}

export interface EngineError {
  urn: string;
  message: string;
}

/** What the program sent for one custom resource, before the engine touched it. */
export interface RegistrationEvent {
  urn: string;
  type: string;
  name: string;
  /** Raw wire inputs: secrets as signature objects, unknowns as the sentinel, resources as references. */
  inputs: Record<string, unknown>;
}

export interface EngineResult {
  steps: StepEvent[];
  failures: CheckFailure[];
  errors: EngineError[];
  /** Every custom-resource registration of a `preview`/`up`, in arrival order; empty for refresh/destroy. */
  registrations: RegistrationEvent[];
}

export interface ResourceState {
  type: string;
  id: string;
  /** Checked inputs, secrets unwrapped (see `secretOutputs`). */
  inputs: Record<string, unknown>;
  /** Provider outputs, secrets unwrapped (see `secretOutputs`). */
  outputs: Record<string, unknown>;
  /** Top-level output properties the engine keeps secret. */
  secretOutputs: string[];
  /** URNs of the resources this one depends on. */
  dependencies: string[];
}

export type PropertyMap = Record<string, unknown>;
