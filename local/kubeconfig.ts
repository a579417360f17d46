import { stringify } from 'yaml';

/** How the kubeconfig's user authenticates. */
export type KubeconfigUser =
  | { readonly token: string }
  | { readonly exec: { readonly command: string; readonly args: readonly string[]; readonly env?: Readonly<Record<string, string>> } };

/**
 * Renders a kubeconfig for one Gatehouse connection. TLS is always verified against the given CA (or the
 * system store when none is given): Gatehouse never hands out `insecure-skip-tls-verify`.
 */
export function renderKubeconfig(options: { readonly name: string; readonly server: string; readonly caPem?: string; readonly user: KubeconfigUser; readonly namespace?: string }): string {
  const user = 'token' in options.user
    ? { token: options.user.token }
    : {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1',
          command: options.user.exec.command,
          args: [...options.user.exec.args],
          ...(options.user.exec.env ? { env: Object.entries(options.user.exec.env).map(([name, value]) => ({ name, value })) } : {}),
          // v1 exec credentials must say this explicitly; CI has nobody to answer a prompt.
          interactiveMode: 'Never',
          provideClusterInfo: false,
        },
      };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: options.name, cluster: { server: options.server, ...(options.caPem ? { 'certificate-authority-data': Buffer.from(options.caPem).toString('base64') } : {}) } }],
    users: [{ name: `${options.name}-agent`, user }],
    contexts: [{ name: options.name, context: { cluster: options.name, user: `${options.name}-agent`, ...(options.namespace ? { namespace: options.namespace } : {}) } }],
    'current-context': options.name,
    preferences: {},
  });
}
