import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const csv = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined));

/** Every environment variable the server reads, with its default. README.md lists them. */
export const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().optional(),
  INTEGRATIONS_DIR: z.string().default(path.join(projectRoot, 'demo', 'integrations')),
  ALLOY_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  ALLOY_ENCRYPTION_KEY: z.string().optional(),
  ALLOY_ALLOWED_ORIGINS: csv,
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(3600),
  TOKEN_ISSUER: z.string().default('alloy-embedded-kit'),
  TOKEN_AUDIENCE: z.string().default('alloy-embedded-kit:user'),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  LOG_RETENTION_DAYS: z.coerce.number().positive().default(60),
});

export type Env = z.output<typeof EnvSchema>;

export interface Config {
  production: boolean;
  port: number;
  host: string;
  publicUrl?: string;
  dataDir: string;
  databaseUrl?: string;
  integrationsDir: string;
  apiKey?: string;
  encryptionKey?: string;
  /** `undefined` = any origin (development); `[]` = none. */
  allowedOrigins?: string[];
  tokenTtlSeconds: number;
  tokenIssuer: string;
  tokenAudience: string;
  bodyLimitBytes: number;
  logRetentionDays: number;
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
  return {
    production,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL || undefined,
    integrationsDir: path.resolve(e.INTEGRATIONS_DIR),
    apiKey: e.ALLOY_API_KEY,
    encryptionKey: e.ALLOY_ENCRYPTION_KEY,
    allowedOrigins: e.ALLOY_ALLOWED_ORIGINS ?? (production ? [] : undefined),
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tokenIssuer: e.TOKEN_ISSUER,
    tokenAudience: e.TOKEN_AUDIENCE,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    logRetentionDays: e.LOG_RETENTION_DAYS,
  };
}
