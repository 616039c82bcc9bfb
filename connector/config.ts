import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { checkAddressRange } from './egress/address-policy.ts';

/**
 * Connector configuration: a JSON file, then environment overrides, validated as a whole.
 * Errors name the field and what is wrong; the CLI turns a ConfigError into exit code 2.
 */

export const ROLES = ['hospital', 'research-institute', 'governance-authority'] as const;
export type ParticipantRole = (typeof ROLES)[number];

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const did = z.string().regex(/^did:[a-z0-9]+:.+$/, 'must be a DID (did:method:identifier)');

const TrustedIssuer = z.strictObject({
  did,
  /** Credential types this issuer is trusted for; ["*"] trusts it for every type. */
  credentialTypes: z.array(z.string().min(1)).min(1),
});

const Peer = z.strictObject({
  name: z.string().min(1).optional(),
  did,
  /** The peer's DSP base address, e.g. http://127.0.0.1:8702/dsp/2025-1 */
  dspAddress: httpUrl,
});

/** Where outbound requests may go (connector/egress/). Unset fields follow the public URL: see resolveEgress. */
const Egress = z.strictObject({
  /** Plain http to peers, DID documents and status lists. Default: only in development. */
  allowHttp: z.boolean().optional(),
  /** Loopback addresses (127.0.0.0/8, ::1). Default: only in development. */
  allowLoopback: z.boolean().optional(),
  /** Private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). Default: never. */
  allowPrivate: z.boolean().optional(),
  /** Extra addresses or CIDR ranges reachable whatever their class, e.g. a partner on a private network. */
  allowAddresses: z.array(z.string().refine((range) => checkAddressRange(range) === undefined, 'must be an IP address or CIDR range')).default([]),
});

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ConfigSchema = z
  .strictObject({
    name: z.string().min(1, 'must not be empty'),
    role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }),
    /** The URL peers reach this connector at; its DID derives from it. Default: http://127.0.0.1:<port>. */
    publicUrl: httpUrl.optional(),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535),
    /** A separate listener for the management API and the dashboard (then the public one no longer serves them). */
    management: z.strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.number().int().min(0).max(65535) }).optional(),
    dataDir: z.string().min(1),
    /** Root folder of the files and folders datasets are served from; nothing outside it can be reached. Default: dataDir/datasets. */
    dataRoot: z.string().min(1).optional(),
    /** "sqlite" (a file in dataDir), a path to a SQLite file, or a postgres:// URL. */
    database: z.string().min(1).default('sqlite'),
    /** Management API key; when absent, one is generated into dataDir/management-api-key (mode 0600). */
    apiKey: z.string().min(32, 'must be at least 32 characters').optional(),
    trustedIssuers: z.array(TrustedIssuer).default([]),
    peers: z.array(Peer).default([]),
    /** Resolve did:web over plain http for non-loopback hosts too (never in production). */
    allowInsecureHttpDids: z.boolean().default(false),
    didCacheTtlSeconds: z.number().int().min(0).default(300),
    /** How long a verified status list is reused before it is fetched again (revocations show after at most this). */
    statusListCacheTtlSeconds: z.number().int().min(0).default(30),
    /** How often the federated catalog crawls its peers; 0 crawls only on demand. */
    catalogCrawlIntervalSeconds: z.number().int().min(0).default(300),
    /** How often transfers are re-checked against their agreements (and delete duties honoured). */
    enforcementIntervalSeconds: z.number().int().min(1).default(10),
    /** Governance authority only: how long the credentials it issues are valid by default. */
    credentialValidityDays: z.number().int().min(1).default(365),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    egress: Egress.default({ allowAddresses: [] }),
    /** Behind a reverse proxy: take the client address from X-Forwarded-For (for rate limits). Never when exposed directly. */
    trustProxy: z.boolean().default(false),
    /** How long a replica may hold claimed work (outgoing messages, control-plane actions) before another takes it over. */
    workLeaseSeconds: z.number().int().min(2).max(3600).default(30),
    /** Peers' callback, push and pull addresses must be at an origin their DID document lists (off only for test fixtures). */
    bindPeerAddresses: z.boolean().default(true),
    /** Federated catalog: how many peers are crawled at once, and how long one peer's crawl may take. */
    catalogCrawlConcurrency: z.number().int().min(1).max(32).default(4),
    catalogCrawlPeerDeadlineSeconds: z.number().int().min(1).default(600),
    /** Consumer: agreements wait in AGREED until an operator verifies them (POST /api/negotiations/:id/verify). */
    reviewAgreements: z.boolean().default(false),
    /**
     * Provider: datasets that require approval wait for the operator at every decision, not only on the request:
     * after the consumer accepts a counter-offer (agree or terminate) and after it verifies the agreement (finalize or terminate).
     */
    reviewNegotiationSteps: z.boolean().default(false),
    /** Provider: every transfer request waits in REQUESTED until the operator starts it (POST /api/transfers/:id/approve) or terminates it. */
    reviewTransfers: z.boolean().default(false),
    /** Consumer: pull the data as soon as the provider starts a transfer; off, it stays STARTED until POST /api/transfers/:id/pull. */
    pullOnStart: z.boolean().default(true),
    /** The Data Integrity cryptosuite of this connector's own agreements and presentations (verification accepts both). */
    proofCryptosuite: z.enum(['eddsa-jcs-2022', 'eddsa-rdfc-2022']).default('eddsa-jcs-2022'),
    /** The JOSE algorithm of this connector's JWTs (ID tokens, access tokens, JWT presentations): EdDSA (key-1) or ES256 (key-2, P-256). */
    jwtAlgorithm: z.enum(['EdDSA', 'ES256']).default('EdDSA'),
    /** DCP: the format of the presentations the credential service answers with. */
    presentationFormat: z.enum(['jwt', 'data-integrity']).default('data-integrity'),
    /**
     * DSP catalog: credential types every caller must present, each asked for by its DCP scope; a caller without
     * an access token, or whose presentation lacks one of them, is refused (403), as DCP 1.0 §5.4.2 has a verifier
     * refuse a presentation that does not hold what was asked. Empty: only members-only datasets ask for a
     * ParticipantCredential, and a caller without one sees the public view.
     */
    catalogRequiredCredentials: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a credential type name'))
      .max(10)
      .default([]),
    /** Refuse agreements that are not signed by both parties (ContractAgreementCredential); off: standard peers get plain ones. */
    requireSignedAgreements: z.boolean().default(false),
    /**
     * DCP: when an issuer in trustedIssuers offers credentials (CredentialOfferMessage), request at once those of
     * the types it is trusted for; off, offers are only recorded for the operator (GET /api/wallet/offers).
     */
    requestOfferedCredentials: z.boolean().default(true),
  })
  .transform((c) => ({ ...c, publicUrl: c.publicUrl?.replace(/\/+$/, ''), dataRoot: c.dataRoot ?? join(c.dataDir, 'datasets'), egress: resolveEgress(c) }));

/** A connector without a public URL, or with an http one on a loopback host, is a development connector. */
export function isDevelopment(publicUrl: string | undefined): boolean {
  if (!publicUrl) return true;
  const url = new URL(publicUrl);
  return url.protocol === 'http:' && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
}

/** Development connectors reach loopback over http; production ones https to public addresses only. */
function resolveEgress(c: { publicUrl?: string; allowInsecureHttpDids: boolean; egress: z.output<typeof Egress> }) {
  const development = isDevelopment(c.publicUrl);
  return {
    allowHttp: c.egress.allowHttp ?? (development || c.allowInsecureHttpDids),
    allowLoopback: c.egress.allowLoopback ?? development,
    allowPrivate: c.egress.allowPrivate ?? false,
    allowAddresses: c.egress.allowAddresses,
  };
}

export type ConnectorConfig = z.output<typeof ConfigSchema>;
export type ConnectorConfigInput = z.input<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Environment variables that override config fields, and how their text becomes a value. */
const ENV_OVERRIDES: Record<string, [field: string, parse: (text: string) => unknown]> = {
  CONNECTOR_PORT: ['port', (t) => (/^\d+$/.test(t) ? Number(t) : t)],
  CONNECTOR_HOST: ['host', String],
  CONNECTOR_PUBLIC_URL: ['publicUrl', String],
  CONNECTOR_DATA_DIR: ['dataDir', String],
  CONNECTOR_DATA_ROOT: ['dataRoot', String],
  DATABASE_URL: ['database', String],
  CONNECTOR_API_KEY: ['apiKey', String],
  CONNECTOR_LOG_LEVEL: ['logLevel', String],
};

/**
 * Validates a config object. `baseDir` resolves a relative dataDir or SQLite path (the config file's folder).
 *
 * @example
 * const config = parseConfig(JSON.parse(text), { env: process.env, baseDir: '/etc/connector', source: 'hospital.json' });
 */
export function parseConfig(raw: unknown, options: { env?: Record<string, string | undefined>; baseDir?: string; source?: string } = {}): ConnectorConfig {
  const source = options.source ?? 'config';
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, ['the configuration must be a JSON object']);
  }
  const merged: Record<string, unknown> = { ...raw };
  const origin: Record<string, string> = {};
  for (const [variable, [field, parse]] of Object.entries(ENV_OVERRIDES)) {
    const value = options.env?.[variable];
    if (value === undefined || value === '') continue;
    merged[field] = parse(value);
    origin[field] = variable;
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => {
        const path = issue.path.map(String).join('.') || '(root)';
        const via = origin[String(issue.path[0])];
        return `${path}${via ? ` (from ${via})` : ''}: ${describeIssue(issue)}`;
      }),
    );
  }
  const baseDir = options.baseDir ?? process.cwd();
  const config = result.data;
  config.dataDir = resolve(baseDir, config.dataDir);
  config.dataRoot = resolve(baseDir, config.dataRoot);
  if (config.database !== 'sqlite' && !isPostgresUrl(config.database)) config.database = resolve(baseDir, config.database);
  return config;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is required (${issue.expected})`;
  return issue.message;
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//.test(database);
}

/** Reads and validates a config file; relative paths inside it are resolved against its folder. */
export function loadConfigFile(path: string, env: Record<string, string | undefined> = process.env): ConnectorConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseConfig(raw, { env, baseDir: dirname(resolve(path)), source: path });
}
