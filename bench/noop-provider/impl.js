"use strict";
// Every call answers at once from its inputs: no host, no I/O.
let next = 0;

/** JSON with sorted keys and without the serialized provider: values that crossed gRPC come back reordered. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).filter((k) => k !== "__provider").sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

const resource = {
  check: (_olds, news) => ({ inputs: news }),
  diff: (_id, olds, news) => ({ changes: JSON.stringify(canonical(olds)) !== JSON.stringify(canonical(news)) }),
  create: (inputs) => ({ id: `noop-${next++}`, outs: inputs }),
  read: (id, props) => ({ id, props }),
  update: (_id, _olds, news) => ({ outs: news }),
  delete: () => undefined,
};
module.exports = { resource };
