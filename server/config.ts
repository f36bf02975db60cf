import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { findConnector, useConnectorDir } from './connectors';
import { connectorSettingsFromEnv } from './connectors/settings';
import { LOG_LEVELS, type LogLevel } from './observability/log';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const csv = z
  .string()
  .optional()
  .transform((v) =>
    v
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
  );

/** Requests per second (decimals allowed); `0` or `off` turns the limit off. */
const perSecond = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => /^\s*(off|\d+(\.\d+)?)\s*$/i.test(v), 'requests per second: a number, or 0 / off for no limit')
    .transform((v) => (/off/i.test(v) ? 0 : Number(v)));
const burst = z.coerce.number().int().min(1, 'at least 1 request').optional();

/** Every environment variable the server reads, with its default. docs/configuration.md lists them. */
export const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  DATABASE_QUERY_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  INTEGRATIONS_DIR: z.string().default(path.join(projectRoot, 'demo', 'integrations')),
  /** The ISV's own connectors as data (`*.json`); default `connectors/` beside INTEGRATIONS_DIR, none when it does not exist. */
  CONNECTORS_DIR: z.string().optional(),
  ALLOY_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  ALLOY_ENCRYPTION_KEY: z.string().optional(),
  ALLOY_ALLOWED_ORIGINS: csv,
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  TOKEN_ISSUER: z.string().default('alloy-embedded-kit'),
  TOKEN_AUDIENCE: z.string().default('alloy-embedded-kit:user'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Time to receive a whole request (headers and body) before a 408 and a closed connection. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(30_000),
  /** Time to receive the headers; default 10 s (or REQUEST_TIMEOUT_MS when lower). */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1000).optional(),
  RATE_LIMIT_API_KEY_PER_SECOND: perSecond('off'),
  RATE_LIMIT_API_KEY_BURST: burst,
  RATE_LIMIT_USER_PER_SECOND: perSecond('50'),
  RATE_LIMIT_USER_BURST: burst,
  LOG_RETENTION_DAYS: z.coerce.number().positive().default(60),
  /** What the processes log (JSON lines on stdout): `debug` adds a line per request. */
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** A port of its own for `/metrics` and the health probes (docs/operations.md#metrics); unset, `/metrics` is on PORT behind METRICS_TOKEN, or nowhere. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The bearer token `/metrics` asks for (on PORT, and on METRICS_PORT when both are set). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** On SIGTERM or SIGINT, how long running executions may take to finish (less a second to give back the rest) before the process exits. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(1000, 'at least 1000 ms').default(10_000),
  WORKERS: z.enum(['on', 'off']).default('on'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  /** The most executions of one user running at once, across all processes; unset: no cap beyond WORKER_CONCURRENCY (docs/configuration.md). */
  USER_CONCURRENCY: z.coerce.number().int('must be a whole number').min(1, 'at least 1 execution').max(1000).optional(),
  EXECUTION_LEASE_MS: z.coerce.number().int().min(1000).default(60_000),
  OAUTH_REFRESH_AHEAD_MS: z.coerce.number().int().min(0).default(600_000),
  RETRY_SCHEDULE: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'comma-separated delays in milliseconds, e.g. 1000,5000,30000')
    .default('1000,5000,30000,120000,600000'),
  RETRY_AFTER_MAX_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** `off`: actions call their app whenever they run, ignoring the pace their connector declares (Slack's message a second per channel). */
  CONNECTOR_THROTTLES: z.enum(['on', 'off']).default('on'),
  /** Executions a bulk replay queues again per second, across all processes (docs/replay.md). */
  REPLAY_RATE_PER_SECOND: z.coerce.number().int().min(1, 'at least 1 execution per second').max(10_000).default(50),
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  HTTP_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  ALLOY_WEBHOOK_SECRET: z.string().startsWith('whsec_', 'must be a Standard Webhooks secret (whsec_…)').optional(),
  ALLOY_ERROR_WEBHOOK_URL: z.string().url().optional(),
  /** Where the lifecycle webhooks (installation.*, credential.*, execution.failed) are POSTed; unset: none are kept or sent. */
  ALLOY_EVENTS_WEBHOOK_URL: z.string().url().optional(),
  /** Days the lifecycle webhook endpoint may fail, with no success, before it is disabled. */
  ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS: z.coerce.number().positive('must be a number of days over 0').default(5),
  ALLOY_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).optional(),
  /** Tests only (NODE_ENV=test): a file holding the epoch milliseconds the engine's clock reads (server/engine/scheduler.ts). */
  ALLOY_TEST_CLOCK_FILE: z.string().optional(),
  /** `on`: serve the AcmeCo demo app at `/` with fake Slack and BigCommerce (`npm start` sets it; read by server/index.ts). */
  DEMO: z.enum(['on', 'off']).default('off'),
  /** `off`: no ISV console; every `/console` path answers 404 (docs/console.md). */
  CONSOLE: z.enum(['on', 'off']).default('on'),
  /** How long a console sign-in lasts, in hours. */
  CONSOLE_SESSION_HOURS: z.coerce.number().positive('must be a number of hours over 0').max(720, 'at most 720 hours (30 days)').default(12),
});

export type Env = z.output<typeof EnvSchema>;

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export interface Config {
  production: boolean;
  port: number;
  host: string;
  publicUrl?: string;
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL: how long to wait for a connection, and for a query's answer, before a 503. */
  databaseConnectTimeoutMs: number;
  databaseQueryTimeoutMs: number;
  integrationsDir: string;
  /** Where the ISV's own connector files are read from (it may not exist). */
  connectorsDir: string;
  apiKey?: string;
  encryptionKey?: string;
  /** `undefined` = any origin (development); `[]` = none. */
  allowedOrigins?: string[];
  tokenTtlSeconds: number;
  tokenIssuer: string;
  tokenAudience: string;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** Per server process; `undefined` = no limit. */
  rateLimits: { apiKey?: RateLimit; user?: RateLimit };
  logRetentionDays: number;
  logLevel: LogLevel;
  /** `/metrics` and the health probes on a port of their own (METRICS_PORT). */
  metricsPort?: number;
  metricsToken?: string;
  shutdownTimeoutMs: number;
  /** Run workers inside this server process (the embedded default). */
  workers: boolean;
  workerConcurrency: number;
  /** The most executions of one user running at once, counted across every process on the store; undefined: no cap beyond the worker's slots. */
  userConcurrency: number | undefined;
  leaseMs: number;
  /**
   * OAuth tokens that expire within this window are refreshed ahead by a sweep beside each
   * worker (OAUTH_REFRESH_AHEAD_MS; 0 turns the sweep off: tokens are then refreshed when an
   * execution needs them).
   */
  refreshAheadMs: number;
  /** Delay before each retry; its length is the number of retries. */
  retrySchedule: number[];
  /** The longest a destination's Retry-After can hold back a retry. */
  retryAfterMaxMs: number;
  /** Whether actions keep the pace their connector declares (server/engine/throttle.ts); 429 holds apply either way. */
  connectorThrottles: boolean;
  /** Executions a bulk replay queues again per second (one process works a replay at a time). */
  replayRatePerSecond: number;
  httpTimeoutMs: number;
  httpMaxResponseBytes: number;
  webhookSecret?: string;
  errorWebhookUrl?: string;
  /** The lifecycle webhooks' endpoint; unset, no message is stored. */
  eventsWebhookUrl?: string;
  eventsWebhookDisableAfterDays: number;
  allowPrivateUrls: boolean;
  apiUrls: Record<string, string>;
  /** Tests only: the engine's clock reads this file (ALLOY_TEST_CLOCK_FILE). */
  testClockFile?: string;
  /** OAuth 2.0 clients by connector id: only apps with a client id and secret offer OAuth. */
  oauthClients: Record<string, { clientId: string; clientSecret: string; authorizeUrl: string }>;
  /** The ISV console at `/console` (CONSOLE): its sign-in and its API. */
  console: boolean;
  /** How long a console session lasts (CONSOLE_SESSION_HOURS), in milliseconds. */
  consoleSessionMs: number;
}

/** Reads the configuration from the environment; a bad value stops the start, naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${lines}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const headersTimeoutMs = e.HEADERS_TIMEOUT_MS ?? Math.min(10_000, e.REQUEST_TIMEOUT_MS);
  if (headersTimeoutMs > e.REQUEST_TIMEOUT_MS) {
    throw new Error(`Invalid configuration:\n  HEADERS_TIMEOUT_MS: must not be over REQUEST_TIMEOUT_MS (${e.REQUEST_TIMEOUT_MS})`);
  }
  // A clock moved by a file would let anyone who can write it fire every schedule at will.
  if (e.ALLOY_TEST_CLOCK_FILE && e.NODE_ENV !== 'test') {
    throw new Error('Invalid configuration:\n  ALLOY_TEST_CLOCK_FILE: only read by tests (NODE_ENV=test); unset it');
  }
  // The ISV's connector files load first: their base URLs and OAuth clients come from the environment too.
  const connectorsDir = path.resolve(e.CONNECTORS_DIR ?? path.join(path.dirname(path.resolve(e.INTEGRATIONS_DIR)), 'connectors'));
  if (e.CONNECTORS_DIR && !existsSync(connectorsDir)) throw new Error(`Invalid configuration:\n  CONNECTORS_DIR: ${connectorsDir} does not exist`);
  useConnectorDir(connectorsDir);
  const connectors = connectorSettingsFromEnv(env);
  // OAuth's redirect URI and the begin URL are built from the server's own address; without
  // PUBLIC_URL that is the request's Host header, which production must not trust.
  const oauthVariables = Object.keys(connectors.oauthClients).map((id) => `${findConnector(id)?.oauth?.env ?? id.toUpperCase()}_CLIENT_ID`);
  if (production && !e.PUBLIC_URL && oauthVariables.length > 0) {
    throw new Error(`Invalid configuration:\n  PUBLIC_URL: required in production when OAuth is set up (${oauthVariables.join(', ')}): the OAuth redirect URI is built from it`);
  }
  // The burst defaults to two seconds' worth.
  const rateLimit = (perSecond: number, burst: number | undefined): RateLimit | undefined =>
    perSecond > 0 ? { perSecond, burst: burst ?? Math.max(1, Math.ceil(2 * perSecond)) } : undefined;
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL || undefined,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    databaseQueryTimeoutMs: e.DATABASE_QUERY_TIMEOUT_MS,
    integrationsDir: path.resolve(e.INTEGRATIONS_DIR),
    connectorsDir,
    apiKey: e.ALLOY_API_KEY,
    encryptionKey: e.ALLOY_ENCRYPTION_KEY,
    allowedOrigins: e.ALLOY_ALLOWED_ORIGINS ?? (production ? [] : undefined),
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tokenIssuer: e.TOKEN_ISSUER,
    tokenAudience: e.TOKEN_AUDIENCE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    headersTimeoutMs,
    rateLimits: {
      apiKey: rateLimit(e.RATE_LIMIT_API_KEY_PER_SECOND, e.RATE_LIMIT_API_KEY_BURST),
      user: rateLimit(e.RATE_LIMIT_USER_PER_SECOND, e.RATE_LIMIT_USER_BURST),
    },
    logRetentionDays: e.LOG_RETENTION_DAYS,
    logLevel: e.LOG_LEVEL,
    metricsPort: e.METRICS_PORT,
    metricsToken: e.METRICS_TOKEN,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workers: e.WORKERS === 'on',
    workerConcurrency: e.WORKER_CONCURRENCY,
    // Half a worker's slots by default: one user's backlog leaves the other half to everyone else,
    // so another user's event starts at once instead of after one of the busy user's executions,
    // while a user alone (a small deployment, a single tenant) still gets half the worker. A
    // quarter would leave others more but a lone user only a quarter of the worker's slots.
    userConcurrency: e.USER_CONCURRENCY,
    leaseMs: e.EXECUTION_LEASE_MS,
    refreshAheadMs: e.OAUTH_REFRESH_AHEAD_MS,
    retrySchedule: e.RETRY_SCHEDULE.split(',').map(Number),
    retryAfterMaxMs: e.RETRY_AFTER_MAX_MS,
    connectorThrottles: e.CONNECTOR_THROTTLES === 'on',
    replayRatePerSecond: e.REPLAY_RATE_PER_SECOND,
    httpTimeoutMs: e.HTTP_TIMEOUT_MS,
    httpMaxResponseBytes: e.HTTP_MAX_RESPONSE_BYTES,
    webhookSecret: e.ALLOY_WEBHOOK_SECRET,
    errorWebhookUrl: e.ALLOY_ERROR_WEBHOOK_URL,
    eventsWebhookUrl: e.ALLOY_EVENTS_WEBHOOK_URL,
    eventsWebhookDisableAfterDays: e.ALLOY_EVENTS_WEBHOOK_DISABLE_AFTER_DAYS,
    allowPrivateUrls: e.ALLOY_ALLOW_PRIVATE_URLS === 'true',
    testClockFile: e.ALLOY_TEST_CLOCK_FILE,
    console: e.CONSOLE === 'on',
    consoleSessionMs: Math.round(e.CONSOLE_SESSION_HOURS * 3_600_000),
    // Each connector declares its own variables (SLACK_API_URL, SLACK_CLIENT_ID…).
    ...connectors,
  };
}

/**
 * Options of the HTTP server (`serve({ serverOptions })`): a client that sends its headers or
 * body too slowly gets a 408 and its connection closed (slow loris). Node checks for such
 * requests every `connectionsCheckingInterval` ms (default 30 s, too coarse for these timeouts).
 */
export function httpServerOptions(config: Pick<Config, 'requestTimeoutMs' | 'headersTimeoutMs'>) {
  return {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: config.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.floor(config.headersTimeoutMs / 4)),
  };
}
