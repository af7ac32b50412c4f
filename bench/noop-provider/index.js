"use strict";
// virtnet's resource classes with the same inputs, over a provider that does nothing: what the engine itself costs.
const pulumi = require("@pulumi/pulumi");

function shim(kind) {
  return {
    check: (olds, news) => require("virtnet-noop-provider/impl")[kind].check(olds, news),
    diff: (id, olds, news) => require("virtnet-noop-provider/impl")[kind].diff(id, olds, news),
    create: (inputs) => require("virtnet-noop-provider/impl")[kind].create(inputs),
    read: (id, props) => require("virtnet-noop-provider/impl")[kind].read(id, props),
    update: (id, olds, news) => require("virtnet-noop-provider/impl")[kind].update(id, olds, news),
    delete: (id, props) => require("virtnet-noop-provider/impl")[kind].delete(id, props),
  };
}

const providers = { Network: shim("resource"), StaticRoute: shim("resource"), GuestInterface: shim("resource") };

function define(type) {
  return class extends pulumi.dynamic.Resource {
    constructor(name, args, opts) {
      const { network, ...rest } = args;
      const bridge = network && typeof network !== "string" ? network.bridge : network;
      super(providers[type], name, { ...rest, bridge, connection: pulumi.secret(args.connection ?? (network && network.connection)) }, opts, "noop", type);
    }
  };
}

class Network extends define("Network") {}
class StaticRoute extends define("StaticRoute") {}
class GuestInterface extends define("GuestInterface") {}

module.exports = { Network, StaticRoute, GuestInterface };
