import type { Container, ContainerConfig, ContainerOptions, TagConfig } from "./index.js";

/** The server container on Node's http server (the `serve` CLI command uses it). */
export function serve(options: {
  config: ContainerConfig | TagConfig | string;
  /** Secrets and overrides (default: process.env). */
  env?: Record<string, unknown>;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A SQLite file for durable delivery (sets the config's `queue.path`; needs better-sqlite3). */
  queue?: string;
  options?: ContainerOptions;
}): Promise<{ url: string; port: number; container: Container; close(): Promise<void> }>;
