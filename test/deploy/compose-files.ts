import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Env } from '@dropgate/config';

/**
 * docker-compose.yml (MongoDB) and docker-compose.yml + docker-compose.postgres.yml (PostgreSQL), read as compose
 * reads them (no Docker engine runs here): for the deploy tests.
 */
export interface Dependency {
  condition?: string;
  required?: boolean;
}
export interface Service {
  environment?: Record<string, string | null>;
  stop_grace_period?: string;
  command?: string[];
  profiles?: string[];
  depends_on?: Record<string, Dependency>;
  restart?: string;
  healthcheck?: { test?: string[] };
}
export interface Compose {
  services: Record<string, Service>;
}

const read = (file: string): Compose => parse(readFileSync(path.resolve(__dirname, '..', '..', file), 'utf8'), { merge: true }) as Compose;

/** Compose's merge of an override file (`-f a -f b`): mappings merged key by key, scalars replaced, sequences appended. */
function merged(base: unknown, override: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(override)) return [...(base as unknown[]), ...(override as unknown[])];
  if (isMapping(base) && isMapping(override)) {
    const out: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) out[key] = key in base ? merged(base[key], value) : value;
    return out;
  }
  return override;
}
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const MONGO = read('docker-compose.yml');
export const POSTGRES = merged(MONGO, read('docker-compose.postgres.yml')) as Compose;
export const PROJECTS = { mongo: MONGO, postgres: POSTGRES };

/** The environment a service gets (`${X:-default}` → the host's X, else default). */
export function envOf(compose: Compose, service: string, host: Record<string, string> = {}): Env {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(compose.services[service]?.environment ?? {})) {
    env[name] = String(value ?? '').replace(/\$\{(\w+):-([^}]*)\}/g, (_, v: string, fallback: string) => host[v] ?? fallback);
  }
  return env;
}
