// libvirt's <bandwidth> with every value known, in libvirt's units (docs/libvirt-behaviour.md §1.7): average, peak
// and floor in KB/s, burst in KB. A neutral domain type: schemas, planners, renderers and the XML module share it.

export interface Rate {
  average?: number;
  peak?: number;
  burst?: number;
  floor?: number;
}

export interface Bandwidth {
  inbound?: Rate;
  outbound?: Rate;
}
