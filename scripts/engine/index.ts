// The engine-faithful harness (docs/architecture.md §6): what the e2e tests, scripts/demo.ts and bench/ import.
export { Engine, type EngineOptions } from "./engine";
export { NPM_TIMEOUT_MS, installPackage, installedAt, removeInstall, type InstallOptions } from "./install-package";
export { isSecret, makeSecret, stripSecrets } from "./secrets";
export { UNKNOWN, containsUnknowns, isUnknown } from "./unknown";
export type {
  CheckFailure,
  EngineError,
  EngineResult,
  InstalledPackage,
  Program,
  RegistrationEvent,
  ResourceState,
  StepEvent,
  StepOp,
} from "./types";
