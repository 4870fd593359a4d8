/**
 * Typed configuration, read once at start-up from the environment.
 * Missing or malformed values fail fast with a message naming the variable.
 */
export type NodeEnv = 'development' | 'test' | 'production';

/** What every service (gateway and subgraphs) reads from its environment. */
export interface ServiceConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  redisUrl: string;
  /** Prefix for every Redis key and channel, so several deployments can share one Redis. */
  redisPrefix: string;
  logLevel: LogLevelName;
  /** How often idle WebSockets are pinged, so proxies and mobile networks keep them open. */
  wsKeepAliveMs: number;
  /**
   * On SIGTERM, how long a service keeps serving with /ready answering 503 before it stops
   * (SHUTDOWN_DRAIN_MS), so a load balancer stops sending it requests first.
   */
  shutdownDrainMs: number;
  /**
   * After the drain, how long requests still running may take to finish before their connections
   * are cut (SHUTDOWN_DEADLINE_MS), so a stuck request cannot hold the process forever.
   */
  shutdownDeadlineMs: number;
  /**
   * METRICS_PORT: when set, /metrics is served there only (a port the load balancer does not
   * route); unset, it is served on the service's own port outside production and not at all in
   * production, where a public /metrics would tell anyone the traffic and error rates.
   */
  metricsPort: number | undefined;
}

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

/**
 * NODE_ENV, production when unset: a service started without it has no Sandbox, no introspection
 * and no defaults meant for a laptop. `npm start` and the tests set development and test themselves.
 */
export function readNodeEnv(env: Env): NodeEnv {
  const value = env.NODE_ENV ?? 'production';
  if (value !== 'development' && value !== 'test' && value !== 'production') {
    throw new ConfigError(`NODE_ENV must be development, test or production (got "${value}")`);
  }
  return value;
}

export function requireString(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} is required but not set`);
  return value;
}

export function optionalString(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value.trim() === '' ? fallback : value;
}

export function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    throw new ConfigError(`${name} must be a port number between 0 and 65535 (got "${raw}")`);
  }
  return port;
}

export function readUrl(env: Env, name: string, fallback: string | undefined, protocols: string[]): string {
  const raw = env[name] === undefined || env[name] === '' ? fallback : env[name];
  if (raw === undefined) throw new ConfigError(`${name} is required but not set`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be a URL (got something unparseable)`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')} (got ${url.protocol})`);
  }
  return raw;
}

export function readLogLevel(env: Env, nodeEnv: NodeEnv): LogLevelName {
  const level = optionalString(env, 'LOG_LEVEL', nodeEnv === 'test' ? 'warn' : 'info');
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(level)) {
    throw new ConfigError(`LOG_LEVEL must be one of debug, info, warn, error, silent (got "${level}")`);
  }
  return level as LogLevelName;
}

/** Reads a switch written as on or off; anything else stops the service with a message naming the variable. */
export function readOnOff(env: Env, name: string, fallback: boolean): boolean {
  const value = optionalString(env, name, fallback ? 'on' : 'off').trim();
  if (value !== 'on' && value !== 'off') throw new ConfigError(`${name} must be "on" or "off" (got "${value}")`);
  return value === 'on';
}

/** A whole number from `min` to `max` in variable `name`, or `fallback` when it is unset or blank. */
export function readWholeNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

/**
 * A group of settings, each a whole number from `min` to `max` in its own variable (`variables`
 * names them), else its default.
 */
export function readWholeNumbers<T extends { [K in keyof T]: number }>(
  env: Env,
  variables: Record<keyof T, string>,
  defaults: T,
  range: { min: number; max: number },
): T {
  const result = { ...defaults };
  for (const key of Object.keys(variables) as (keyof T)[]) {
    result[key] = readWholeNumber(env, variables[key], defaults[key], range.min, range.max) as T[keyof T];
  }
  return result;
}

export const DEFAULT_WS_KEEPALIVE_MS = 12_000;

export function readWsKeepAlive(env: Env): number {
  const raw = env.WS_KEEPALIVE_MS?.trim();
  if (raw === undefined || raw === '') return DEFAULT_WS_KEEPALIVE_MS;
  if (!/^\d+$/.test(raw) || Number(raw) < 100 || Number(raw) > 300_000) {
    throw new ConfigError(`WS_KEEPALIVE_MS must be milliseconds between 100 and 300000 (got "${raw}")`);
  }
  return Number(raw);
}

/** Reads the configuration every service shares; each service adds its own on top. */
export function loadServiceConfig(env: Env, defaultPort: number, defaultHost = '0.0.0.0'): ServiceConfig {
  const nodeEnv = readNodeEnv(env);
  return {
    nodeEnv,
    port: readPort(env, 'PORT', defaultPort),
    host: optionalString(env, 'HOST', defaultHost),
    redisUrl: readUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisPrefix: optionalString(env, 'REDIS_PREFIX', 'supergraph'),
    logLevel: readLogLevel(env, nodeEnv),
    wsKeepAliveMs: readWsKeepAlive(env),
    shutdownDrainMs: readShutdownDrainMs(env, nodeEnv),
    shutdownDeadlineMs: readShutdownDeadlineMs(env),
    metricsPort: readMetricsPort(env),
  };
}

/** SHUTDOWN_DRAIN_MS: 5 s in production by default (a load balancer's health-check interval), none elsewhere. */
export function readShutdownDrainMs(env: Env, nodeEnv: NodeEnv): number {
  return readWholeNumber(env, 'SHUTDOWN_DRAIN_MS', nodeEnv === 'production' ? 5_000 : 0, 0, 120_000);
}

/** SHUTDOWN_DEADLINE_MS: 10 s by default, a little under a typical orchestrator's 30 s grace less the drain. */
export function readShutdownDeadlineMs(env: Env): number {
  return readWholeNumber(env, 'SHUTDOWN_DEADLINE_MS', 10_000, 100, 300_000);
}

/** METRICS_PORT: a port of its own for /metrics, or undefined when unset (see ServiceConfig.metricsPort). */
export function readMetricsPort(env: Env): number | undefined {
  return env.METRICS_PORT?.trim() ? readPort(env, 'METRICS_PORT', 0) : undefined;
}
