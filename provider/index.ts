// The provider implementation the serialized shims require by package name (docs/architecture.md §3). Never serialized.
export { networkHandlers as network } from "./resources/network/resource";
export { staticRouteHandlers as staticRoute } from "./resources/static-route/resource";
export { guestInterfaceHandlers as guestInterface } from "./resources/guest-interface/resource";
export { dhcpHostHandlers as dhcpHost } from "./resources/dhcp-host/resource";
