import type { Json, PatchResult } from '../../../lambdas/core/patch/apply-json-patch';

/** Freezes a JSON value at every depth, so a function that changes its input throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

/** The patched value, failing the test with the error when the patch did not apply. */
export function valueOf(result: PatchResult): Json {
  if ('error' in result) throw new Error(`expected a value, got the error: ${result.error}`);
  return result.value;
}

/** The error, failing the test when the patch applied. */
export function errorOf(result: PatchResult): string {
  if ('value' in result) throw new Error(`expected an error, got the value: ${JSON.stringify(result.value)}`);
  return result.error;
}

/** What a case expects: the patched document, or an error matching the pattern. */
export type Outcome = { value: Json } | { error: RegExp };

export function expectOutcome(result: PatchResult, expected: Outcome): void {
  if ('error' in expected) expect(errorOf(result)).toMatch(expected.error);
  else expect(valueOf(result)).toEqual(expected.value);
}

/** JSON.parse, typed. */
export const json = (text: string): Json => JSON.parse(text) as Json;
