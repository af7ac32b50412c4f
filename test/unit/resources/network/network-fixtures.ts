// Shared inputs for Network unit tests.
export const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDUMMYSECRETKEYMATERIALFORTESTSONLYxxxxxxxxxxxxxxxxxxxxxx\n-----END OPENSSH PRIVATE KEY-----\n";
export const FINGERPRINT = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

export const connection = { host: "203.0.113.7", privateKey: KEY, hostKey: FINGERPRINT };

export function args(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { connection, bridge: { name: "virbr10" }, ips: [{ address: "192.168.100.1", prefix: 24 }], ...overrides };
}
