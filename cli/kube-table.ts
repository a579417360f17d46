import { renderTable } from './table';

/** The parts of a `meta.k8s.io/v1` Table that kubectl prints. */
interface KubeTable {
  readonly kind: 'Table';
  readonly columnDefinitions?: ReadonlyArray<{ readonly name: string; readonly priority?: number }>;
  readonly rows?: ReadonlyArray<{ readonly cells?: readonly unknown[]; readonly object?: { readonly metadata?: { readonly namespace?: string } } }>;
}

/** True when a parsed body is a server-side Table (what `kubectl get` asks for). */
export function isKubeTable(body: unknown): body is KubeTable {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Table' && Array.isArray((body as KubeTable).columnDefinitions);
}

/**
 * Prints a Table the way `kubectl get` does: priority-0 columns only (no `-o wide`), upper-case headers,
 * `<none>` for empty cells, and a NAMESPACE column first when the list spans namespaces (`-A`).
 */
export function renderKubeTable(table: KubeTable, options: { readonly allNamespaces: boolean; readonly namespace?: string }): string {
  const definitions = table.columnDefinitions ?? [];
  const shown = definitions.map((d, i) => ({ d, i })).filter(({ d }) => (d.priority ?? 0) === 0);
  const rows = table.rows ?? [];
  if (!rows.length) return options.namespace ? `No resources found in ${options.namespace} namespace.\n` : 'No resources found\n';
  const withNamespace = options.allNamespaces && rows.some((r) => r.object?.metadata?.namespace);
  const columns = [...(withNamespace ? [{ header: 'NAMESPACE' }] : []), ...shown.map(({ d }) => ({ header: d.name.toUpperCase() }))];
  const cells = rows.map((row) => [
    ...(withNamespace ? [row.object?.metadata?.namespace ?? ''] : []),
    ...shown.map(({ i }) => cell(row.cells?.[i])),
  ]);
  // kubectl's tabwriter: minwidth 6, padding 3.
  return renderTable(columns, cells, { gap: 3, minWidth: 6 });
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '<none>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
