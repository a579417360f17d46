import type { RbacDenialSource } from './rbac-denials';

/**
 * Public contract of the Kubernetes API server simulator, plus the JSON shapes shared by its modules.
 * Other parts of Gatehouse (local mode, the end-to-end tests) code against the first block exactly.
 */

/** The identity the simulator's authenticator resolves a bearer token to (like `user.Info`). */
export interface KubeUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** One request as it reached the simulated cluster. Tokens are never kept: `authorization` is removed. */
export interface SimulatorRequestRecord {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** The authenticated user, when authentication succeeded. */
  readonly user?: string;
  /** The user the request acted as, when an allowed Impersonate-User header was honoured. */
  readonly impersonatedUser?: string;
  readonly impersonatedGroups?: readonly string[];
  readonly code: number;
}

/** Options for {@link startKubeApiSimulator}. */
export interface KubeApiSimulatorOptions {
  /** Interface to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** Port to listen on. Default 0 (a random free port). */
  readonly port?: number;
  /** Server certificate and key: the simulator serves HTTPS only, because kubectl sends tokens only over TLS. */
  readonly tls: { readonly certPem: string; readonly keyPem: string };
  /** Validates the bearer token (e.g. the EKS token check). `undefined` => 401 Status. */
  readonly authenticate: (bearerToken: string) => Promise<KubeUser | undefined>;
  /** Usernames allowed to send Impersonate-* headers (like RBAC 'impersonate'). Default: none. */
  readonly impersonators?: readonly string[];
  /** Seed demo objects. Default true. */
  readonly seed?: boolean;
  /** Artificial latency per request in ms, for failure tests. Default 0. */
  readonly delayMs?: number;
  /**
   * Requests to refuse as RBAC would, with the real server's 403 Status (checked after authentication
   * and impersonation, before anything else, as the authorization filter is). A list, or a function
   * asked on every request (see `denialsFromDirectory`). Default: none, every authenticated request is allowed.
   */
  readonly rbacDenials?: RbacDenialSource;
}

/** A running simulator. */
export interface KubeApiSimulator {
  /** `https://host:port`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order, without credentials. */
  readonly requests: SimulatorRequestRecord[];
  /** Ends open watches and log streams, then stops listening. */
  close(): Promise<void>;
}

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object. `undefined` members are allowed while building and vanish when serialized. */
export interface JsonObject {
  [key: string]: JsonValue | undefined;
}

/** `metadata` of a stored object (ObjectMeta), loosely typed like the JSON it is. */
export interface ObjectMeta extends JsonObject {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
}

/** A Kubernetes object as JSON. */
export interface KubeObject extends JsonObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** Whether a JSON value is a plain object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A deep copy through JSON, which also drops `undefined` members like the wire would. */
export function cloneJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
