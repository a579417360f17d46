import { createServer, type Server } from 'node:https';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { applyImpersonation, authenticateRequest } from './authentication';
import { ClusterState } from './cluster-state';
import { sendError, type HandlerContext } from './http-io';
import { routeNonResource } from './non-resource-routes';
import { authorizationAttributes, currentDenials, findDenial, rbacForbidden } from './rbac-denials';
import { parseResourcePath } from './request-path';
import { resolveType, routeResource } from './resource-router';
import { loadSeed } from './seed-loader';
import { handlePortForwardUpgrade, portForwardRuntimeFor } from './port-forward';
import { createPodExecRuntime, handlePodExecUpgrade, resolveExecTarget, spdyNotSupported } from './pod-exec';
import type { RbacDenial } from './rbac-denials';
import { badRequest, pathNotFound } from './status-errors';
import type { KubeApiSimulator, KubeApiSimulatorOptions, KubeUser, SimulatorRequestRecord } from './types';

// Credentials never enter the request log, whatever a test later does with it.
const UNRECORDED_HEADERS = new Set(['authorization', 'proxy-authorization']);

function recordedHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (UNRECORDED_HEADERS.has(name) || !values) continue;
    out[name] = values.length === 1 ? values[0]! : [...values];
  }
  return out;
}

/** Parses the request target; prefixing the origin keeps a `//x` path a path, not a host. */
function requestUrl(req: IncomingMessage): URL {
  return new URL(`https://simulator.invalid${req.url ?? '/'}`);
}

/** An `Upgrade:` request (the server's 'upgrade' event): the raw socket, and how to log the 101. */
interface UpgradeRequest {
  readonly socket: Duplex;
  readonly head: Buffer;
  readonly onUpgraded: () => void;
}

interface RequestOutcome {
  user?: KubeUser;
  impersonated?: KubeUser;
  /** A custom resource's errors are JSON: its serializers have no protobuf. */
  custom?: boolean;
}

/**
 * Starts the Kubernetes API server simulator over HTTPS: a stand-in for a real cluster's API server,
 * strict where the real one is (authentication, impersonation, Status errors, resourceVersion
 * conflicts, selectors, patch types), so the real kubectl 1.35 works against it unchanged. It is not a
 * cluster: nothing runs; README.md in this folder lists what is simulated.
 */
export async function startKubeApiSimulator(options: KubeApiSimulatorOptions): Promise<KubeApiSimulator> {
  const state = new ClusterState();
  loadSeed(state, options.seed !== false);
  const requests: SimulatorRequestRecord[] = [];
  const shutdown = new AbortController();
  const impersonators = options.impersonators ?? [];
  let serverAddress = '';
  const execRuntime = createPodExecRuntime(state);

  /**
   * Upgrade requests, by subresource: pods/exec and pods/attach (pod-exec.ts), pods/portforward.
   * Anything else that asks for an upgrade is served as a plain request. False: not handled here.
   */
  async function routeUpgrade(req: IncomingMessage, url: URL, upgrade: UpgradeRequest, denials: readonly RbacDenial[], user: KubeUser): Promise<boolean> {
    const path = parseResourcePath(url.pathname);
    const sub = path && path.group === '' && path.resource === 'pods' ? path.subresource : undefined;
    if (!path || (sub !== 'exec' && sub !== 'attach' && sub !== 'portforward')) return false;
    resolveType(state.catalog, path);
    const websocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    // AuthorizePodWebsocketUpgradeCreatePermission (beta, on in 1.35): the WebSocket handshake is a
    // GET, authorized as `get` by the filter above, and must also be allowed to `create`, as SPDY's POST is.
    if (websocket && req.method === 'GET' && denials.length) {
      const attributes = authorizationAttributes('POST', url, user);
      const denial = findDenial(denials, attributes);
      if (denial) throw rbacForbidden(attributes, denial.reason);
    }
    if (sub === 'portforward') {
      // PORT-FORWARD: SPDY/3.1 over WebSocket (port-forward.ts); the SPDY fallback POST gets a 400 Status.
      await handlePortForwardUpgrade(portForwardRuntimeFor(state, shutdown.signal), { req, socket: upgrade.socket, head: upgrade.head, path, onUpgraded: upgrade.onUpgraded });
      return true;
    }
    if (!websocket) {
      // kubectl falls back to SPDY after a failed WebSocket upgrade: it still learns of a missing pod or container.
      resolveExecTarget(state, path, url.searchParams);
      throw spdyNotSupported();
    }
    await handlePodExecUpgrade(execRuntime, { req, socket: upgrade.socket, head: upgrade.head, path, query: url.searchParams, onUpgraded: upgrade.onUpgraded });
    return true;
  }

  async function serve(req: IncomingMessage, res: ServerResponse, outcome: RequestOutcome, upgrade?: UpgradeRequest): Promise<void> {
    const url = requestUrl(req);
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const user = await authenticateRequest(req.headersDistinct, options.authenticate);
    outcome.user = user;
    const impersonated = applyImpersonation(req.headersDistinct, user, impersonators);
    outcome.impersonated = impersonated;
    // The authorization filter runs before any handler: a refused request learns nothing, not even a 404.
    const denials = currentDenials(options.rbacDenials);
    if (denials.length) {
      const attributes = authorizationAttributes(req.method ?? 'GET', url, impersonated ?? user);
      const denial = findDenial(denials, attributes);
      if (denial) throw rbacForbidden(attributes, denial.reason);
    }
    if (upgrade && (await routeUpgrade(req, url, upgrade, denials, impersonated ?? user))) return;
    if (routeNonResource(req, res, state, url, serverAddress)) return;
    const path = parseResourcePath(url.pathname);
    if (!path) throw pathNotFound();
    const type = resolveType(state.catalog, path);
    if (!upgrade && type.group === '' && type.resource === 'pods' && (path.subresource === 'exec' || path.subresource === 'attach')) {
      // The exec/attach proxy handler requires an upgrade, after the registry found pod and container.
      resolveExecTarget(state, path, url.searchParams);
      throw badRequest('Upgrade request required');
    }
    outcome.custom = type.custom;
    const ctx: HandlerContext = {
      state,
      type,
      path,
      query: url.searchParams,
      req,
      res,
      user: impersonated ?? user,
      warnings: [],
      shutdown: shutdown.signal,
      denials,
    };
    await routeResource(ctx);
  }

  function handle(req: IncomingMessage, res: ServerResponse, upgradeOf?: Omit<UpgradeRequest, 'onUpgraded'>): void {
    const outcome: RequestOutcome = {};
    const url = requestUrl(req);
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search.replace(/^\?/, ''),
        headers: recordedHeaders(req),
        user: outcome.user?.username,
        impersonatedUser: outcome.impersonated?.username,
        impersonatedGroups: outcome.impersonated ? [...outcome.impersonated.groups] : undefined,
        code: res.statusCode,
      });
    };
    res.on('finish', record);
    res.on('close', record);
    const upgrade = upgradeOf && {
      ...upgradeOf,
      onUpgraded: () => {
        res.statusCode = 101;
        record();
      },
    };
    serve(req, res, outcome, upgrade).catch((err: unknown) => {
      sendError(res, err, req, { protobuf: !outcome.custom });
    });
  }

  const server: Server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (req, res) => handle(req, res));
  // An upgrade request has left the HTTP parser: a ServerResponse on its socket answers it when it is
  // refused (or is not an upgrade the simulator serves), and the socket closes after that answer.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => socket.end());
    socket.on('error', () => socket.destroy());
    handle(req, res, { socket, head });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  const urlHost = host.includes(':') ? `[${host}]` : host;
  serverAddress = `${urlHost}:${address.port}`;

  return {
    url: `https://${urlHost}:${address.port}`,
    port: address.port,
    requests,
    close: async () => {
      shutdown.abort();
      state.stop();
      execRuntime.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
