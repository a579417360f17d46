import { Environment } from '@marcbachmann/cel-js';

/**
 * CEL conditions in policy rules, with the variables Kubernetes' ValidatingAdmissionPolicy uses (`object`,
 * `oldObject`, `request`, `namespaceObject`) plus Gatehouse's own (`pods`, `podSpecs`, `allContainers`,
 * `agent`, `connection`), so a VAP expression ports with little change. Evaluated by @marcbachmann/cel-js:
 * a maintained, dependency-free CEL implementation with a type checker and optional syntax (`a.?b.orValue(c)`).
 *
 * Values are converted as Kubernetes' CEL does: JSON integers are `int` (BigInt), other numbers `double`, and
 * null-valued fields are absent (the server decodes them into absent fields before admission runs).
 */

/** The variables a condition can read. */
export interface CelVariables {
  /** The object as the API server would store it after this request; null when there is none (delete, get). */
  readonly object: unknown;
  /** The live object before the request, when Gatehouse read it; else null. */
  readonly oldObject: unknown;
  readonly request: Readonly<Record<string, unknown>>;
  /** The request's namespace object, when Gatehouse read it; else null. */
  readonly namespaceObject: unknown;
  /** The pods in `object`: `{ metadata, spec }` of the pod itself or of each pod template. */
  readonly pods: readonly unknown[];
  readonly podSpecs: readonly unknown[];
  /** Every container, init container and ephemeral container of every pod spec. */
  readonly allContainers: readonly unknown[];
  readonly agent: Readonly<Record<string, unknown>>;
  readonly connection: string;
}

/** Variable names and their CEL types; `dyn` where Kubernetes objects go (their schema is the API's). */
export const CEL_VARIABLES: Readonly<Record<keyof CelVariables, string>> = {
  object: 'dyn', oldObject: 'dyn', request: 'map', namespaceObject: 'dyn', pods: 'list', podSpecs: 'list',
  allContainers: 'list', agent: 'map', connection: 'string',
};

/** A compiled condition. */
export interface CelCondition {
  readonly expression: string;
  /** True or false, or the evaluation error's message (missing field, wrong type...). */
  evaluate(variables: CelVariables): boolean | { readonly error: string };
  /** Which inputs the expression reads, so the proxy fetches only what is needed. */
  readonly reads: { readonly object: boolean; readonly oldObject: boolean; readonly namespaceObject: boolean };
}

/** Expression size limits, checked when the policy is compiled (the author is trusted, typos are not). */
const LIMITS = { maxAstNodes: 2000, maxDepth: 64, maxListElements: 500, maxMapEntries: 500, maxCallArguments: 16 };

let environment: Environment | undefined;

function env(): Environment {
  if (environment) return environment;
  const e = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: LIMITS });
  for (const [name, type] of Object.entries(CEL_VARIABLES)) e.registerVariable(name, type);
  environment = e;
  return e;
}

/**
 * Type-checks an expression. Returns undefined when it is a valid boolean condition, else what is wrong and
 * where (`column 12: ...`), for the policy's validation message.
 */
export function celProblem(expression: string): string | undefined {
  if (expression.trim() === '') return 'an empty CEL expression';
  let result: ReturnType<Environment['check']>;
  try {
    result = env().check(expression);
  } catch (error) {
    return describeError(error, expression);
  }
  if (!result.valid) return describeError(result.error, expression);
  if (result.type !== 'bool' && result.type !== 'dyn') return `must be a boolean condition, but its type is ${result.type}`;
  return undefined;
}

/** Compiles a checked expression (call `celProblem` first: this throws on invalid input). */
export function compileCelCondition(expression: string): CelCondition {
  const run = env().parse(expression);
  const mentions = (name: string) => new RegExp(`\\b${name}\\b`).test(expression);
  return {
    expression,
    reads: {
      object: ['object', 'pods', 'podSpecs', 'allContainers'].some(mentions),
      oldObject: mentions('oldObject'),
      namespaceObject: mentions('namespaceObject'),
    },
    evaluate(variables) {
      try {
        const value: unknown = run(variables as unknown as Record<string, unknown>);
        return typeof value === 'boolean' ? value : { error: `the condition gave ${typeof value === 'bigint' ? 'an int' : typeof value}, not a bool` };
      } catch (error) {
        return { error: error instanceof Error ? firstLine(error.message) : String(error) };
      }
    },
  };
}

/**
 * A JSON value as Kubernetes' CEL sees it: integers as `int` (BigInt), everything else unchanged. Objects are
 * copied with null prototypes, so `__proto__` keys are data.
 */
export function toCelValue(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  // Array.from, not map: a list from another realm (structuredClone under a test runner) must become a plain one.
  if (Array.isArray(value)) return Array.from(value, toCelValue);
  if (value !== null && typeof value === 'object') {
    // A null prototype: plain assignment then creates own keys for any name, `__proto__` included.
    const out = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[key];
      // The API server decodes `ports: null` into an absent field; CEL must see it absent too, or has() lies.
      if (v !== null) out[key] = toCelValue(v);
    }
    return out;
  }
  return value;
}

function describeError(error: unknown, expression: string): string {
  const e = error as { message?: string; range?: { start: number } } | undefined;
  const message = firstLine(e?.message ?? String(error));
  const start = e?.range?.start;
  if (typeof start !== 'number') return message;
  const before = expression.slice(0, start);
  const line = before.split('\n').length;
  const column = start - before.lastIndexOf('\n');
  return `${line > 1 ? `line ${line}, ` : ''}column ${column}: ${message}`;
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
