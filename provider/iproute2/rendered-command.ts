// One command as a renderer hands it to the apply script.

export interface RenderedCommand {
  argv: string[];
  /** Its exit status is ignored (tc deletes, as libvirt's: docs/libvirt-behaviour.md §5.1). */
  bestEffort?: boolean;
  /** Run only when this path exists; otherwise skip (the capability is reported from observation). */
  requiresPath?: string;
}
