// libvirt XML in one place: fast-xml-parser with attributes kept, no number conversion, repeatable elements as arrays.
import { XMLParser } from "fast-xml-parser";

/** Elements libvirt allows more than once, which must parse as arrays even when given once. */
const REPEATABLE = new Set(["ip", "route", "host", "range", "portgroup", "interface", "forwarder", "txt", "srv", "pf", "address"]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => REPEATABLE.has(name),
});

export type XmlNode = Record<string, unknown>;

export function parseXml(xml: string): XmlNode {
  try {
    return parser.parse(xml, true) as XmlNode;
  } catch (e) {
    throw new Error(`not well-formed XML: ${(e as Error).message}`);
  }
}

/**
 * Reads one element and remembers what it read, so every element or attribute virtnet does not understand is
 * reported (never silently dropped).
 */
export class ElementReader {
  private readonly used = new Set<string>();
  private readonly node: XmlNode;

  constructor(
    node: unknown,
    readonly path: string,
    private readonly unsupported: string[],
  ) {
    this.node = node !== null && typeof node === "object" ? (node as XmlNode) : {};
  }

  attr(name: string): string | undefined {
    this.used.add(`@${name}`);
    const v = this.node[`@${name}`];
    return typeof v === "string" ? v : undefined;
  }

  text(name: string): string | undefined {
    this.used.add(name);
    const v = this.node[name];
    return typeof v === "string" ? v : undefined;
  }

  child(name: string): ElementReader | undefined {
    this.used.add(name);
    const v = this.node[name];
    if (v === undefined) return undefined;
    return new ElementReader(Array.isArray(v) ? v[0] : v, `${this.path}/${name}`, this.unsupported);
  }

  children(name: string): ElementReader[] {
    this.used.add(name);
    const v = this.node[name];
    if (v === undefined) return [];
    return (Array.isArray(v) ? v : [v]).map((c, i) => new ElementReader(c, `${this.path}/${name}[${i + 1}]`, this.unsupported));
  }

  /** Marks children virtnet knows it does not need (documented), so they are not reported. */
  ignore(...names: string[]): void {
    for (const n of names) this.used.add(n);
  }

  /** Reports every element and attribute not read; call after reading. */
  finish(): void {
    for (const key of Object.keys(this.node)) {
      if (this.used.has(key) || key === "#text") continue;
      this.unsupported.push(key.startsWith("@") ? `${this.path} attribute ${key.slice(1)}` : `${this.path}/${key}`);
    }
  }
}

/** A whole number where the XML has one; anything else stays text, for check to report at its property. */
export function numberOrText(v: string | undefined): number | string | undefined {
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : v;
}

export function escapeAttr(v: string): string {
  // '>' too: text may not contain "]]>" literally.
  return v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
}
