// The mark virtnet leaves on interfaces it creates (their alias), so it never takes over or deletes foreign ones.
export const OWNER_ALIAS = "virtnet";
