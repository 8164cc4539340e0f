/**
 * Where the platform credentials and region come from, in order of precedence: explicit options (command-line
 * flags), then the conventional environment variables shared with Genesys' own CLI and Terraform provider
 * (`GENESYS_CLOUD_REGION`, `GENESYS_CLOUD_CLIENT_ID`, `GENESYS_CLOUD_CLIENT_SECRET`), then an optional YAML file.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError, MissingCredentialsError } from '../errors.js';
import { type ResolvedRegion, resolveRegion } from './region.js';

export const ENV_REGION = 'GENESYS_CLOUD_REGION';
export const ENV_CLIENT_ID = 'GENESYS_CLOUD_CLIENT_ID';
export const ENV_CLIENT_SECRET = 'GENESYS_CLOUD_CLIENT_SECRET';

export interface LoadPlatformSettingsOptions {
  region?: string;
  clientId?: string;
  clientSecret?: string;
  /** YAML file with `region`, `clientId`, `clientSecret` at the top level or under a `genesys:` section. */
  configFile?: string;
  /** Environment to read; `process.env` by default (tests pass their own). */
  env?: Record<string, string | undefined>;
}

export type SettingSource = 'option' | 'env' | 'file';

/** Everything needed to talk to one org: where, and as which OAuth client. */
export interface PlatformSettings {
  region: ResolvedRegion;
  clientId: string;
  clientSecret: string;
  /** Where each value came from (for `--verbose` start-up lines; never the values of secrets). */
  sources: { region: SettingSource; clientId: SettingSource; clientSecret: SettingSource };
}

const nonEmpty = z.string().trim().min(1);

const fileSection = z.object({
  region: nonEmpty.optional(),
  clientId: nonEmpty.optional(),
  clientSecret: nonEmpty.optional(),
});

const fileSchema = fileSection.extend({ genesys: fileSection.optional() });

type FileSettings = z.infer<typeof fileSection>;

/** Reads the platform part of a YAML config file; other sections of the file are ignored. */
export function readPlatformSettingsFile(path: string): FileSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config file ${path}`, {
      hint: 'Check the path given to --config, or leave it out and use environment variables.',
      cause: error,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (error) {
    throw new ConfigError(`Config file ${path} is not valid YAML: ${(error as Error).message}`, {
      hint: 'Fix the YAML syntax (indentation with spaces, `key: value` pairs).',
      cause: error,
    });
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(`Config file ${path} is invalid:\n${z.prettifyError(parsed.error)}`, {
      hint: 'Expected `region`, `clientId` and `clientSecret` as non-empty strings (top level or under `genesys:`).',
    });
  }
  const { genesys, ...top } = parsed.data;
  return { ...top, ...genesys };
}

function pick(
  option: string | undefined,
  envValue: string | undefined,
  fileValue: string | undefined,
): { value: string; source: SettingSource } | undefined {
  const clean = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const fromOption = clean(option);
  if (fromOption) return { value: fromOption, source: 'option' };
  const fromEnv = clean(envValue);
  if (fromEnv) return { value: fromEnv, source: 'env' };
  const fromFile = clean(fileValue);
  if (fromFile) return { value: fromFile, source: 'file' };
  return undefined;
}

/** Resolves region and client credentials from options, environment and config file; throws coded errors. */
export function loadPlatformSettings(options: LoadPlatformSettingsOptions = {}): PlatformSettings {
  const env = options.env ?? process.env;
  const file = options.configFile ? readPlatformSettingsFile(options.configFile) : {};

  const region = pick(options.region, env[ENV_REGION], file.region);
  if (!region) {
    throw new ConfigError('No Genesys Cloud region configured', {
      hint: `Set ${ENV_REGION} (e.g. mypurecloud.ie or eu_west_1), pass --region, or use a base URL such as http://127.0.0.1:8787 for the emulator.`,
    });
  }
  const clientId = pick(options.clientId, env[ENV_CLIENT_ID], file.clientId);
  if (!clientId) {
    throw new MissingCredentialsError('No OAuth client id configured', {
      hint: `Set ${ENV_CLIENT_ID} to the id of a Client Credentials OAuth client (Admin > Integrations > OAuth).`,
    });
  }
  const clientSecret = pick(options.clientSecret, env[ENV_CLIENT_SECRET], file.clientSecret);
  if (!clientSecret) {
    throw new MissingCredentialsError('No OAuth client secret configured', {
      hint: `Set ${ENV_CLIENT_SECRET} to the secret of OAuth client ${clientId.value}.`,
    });
  }
  return {
    region: resolveRegion(region.value),
    clientId: clientId.value,
    clientSecret: clientSecret.value,
    sources: { region: region.source, clientId: clientId.source, clientSecret: clientSecret.source },
  };
}
