// Linux interface names: the kernel's dev_valid_name() rules, narrowed to a charset that needs no shell quoting.
import { shown } from "../schema/shown";

/** IFNAMSIZ is 16 including the terminating NUL (docs/libvirt-behaviour.md §1.10). */
export const MAX_INTERFACE_NAME_LENGTH = 15;

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Returns why `name` cannot be a Linux interface name, or undefined when it can. */
export function interfaceNameProblem(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (!SAFE_NAME.test(name)) {
    return `${shown(name)} may contain only letters, digits, '_', '.' and '-'`;
  }
  if (name === "." || name === "..") return `'${name}' is reserved by the kernel`;
  // The kernel keeps these for its per-interface sysctl defaults (net.ipv4.conf.all, .default).
  if (name === "all" || name === "default") return `'${name}' is reserved by the kernel (net.ipv4.conf.${name})`;
  if (name.length > MAX_INTERFACE_NAME_LENGTH) {
    return `${shown(name)} is ${name.length} characters; Linux interface names are at most ${MAX_INTERFACE_NAME_LENGTH} (IFNAMSIZ)`;
  }
  return undefined;
}

/**
 * A libvirt name template has exactly one '%' and it is followed by 'd' (docs/libvirt-behaviour.md §1.9); anything else
 * containing '%' is rejected rather than silently replaced by libvirt's 'virbr%d' fallback.
 */
export function isNameTemplate(name: string): boolean {
  return name.includes("%");
}

/** Why a template such as 'virbr%d' cannot produce valid names, or undefined. */
export function nameTemplateProblem(template: string): string | undefined {
  const parts = template.split("%d");
  if (parts.length !== 2 || parts.some((p) => p.includes("%"))) {
    return `'${template}' must contain exactly one '%d' and no other '%'`;
  }
  // The widest id libvirt tries is 256 (MAX_BRIDGE_ID), three digits.
  return interfaceNameProblem(parts.join("999")) === undefined
    ? undefined
    : `'${template}' expands to names that are not valid interface names (at most ${MAX_INTERFACE_NAME_LENGTH} characters of letters, digits, '_', '.' and '-')`;
}

/** Expands a '%d' template with an id. */
export function expandNameTemplate(template: string, id: number): string {
  return template.replace("%d", String(id));
}

/** True when `name` is one of the names a template produces. */
export function nameMatchesTemplate(name: string, template: string): boolean {
  const [prefix, suffix] = template.split("%d");
  if (!name.startsWith(prefix) || !name.endsWith(suffix)) return false;
  const digits = name.slice(prefix.length, name.length - suffix.length);
  return /^(0|[1-9][0-9]*)$/.test(digits);
}
