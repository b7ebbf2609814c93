// Randomness from the host, for the wasm to stretch: 32 bytes from the platform's CSPRNG (a
// tag's seed, a doctor run's, the container's per request). The wasm never asks for more.
export function entropy() {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}
