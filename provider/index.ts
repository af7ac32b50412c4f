// The provider implementation the serialized shims require by package name (design §3). Never serialized.
export { networkHandlers as network } from "./resources/network/handler";
export { staticRouteHandlers as staticRoute } from "./resources/static-route/handler";
export { guestInterfaceHandlers as guestInterface } from "./resources/guest-interface/handler";
