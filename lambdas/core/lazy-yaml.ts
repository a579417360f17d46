/**
 * The YAML library, loaded on first use: most requests are JSON, and loading the parser at module load would cost
 * every Lambda cold start for the few YAML bodies, responses and policy files that need it.
 */
let loaded: typeof import('yaml') | undefined;

/** The `yaml` module (required the first time it is asked for). */
export function yaml(): typeof import('yaml') {
  loaded ??= require('yaml') as typeof import('yaml');
  return loaded;
}
