import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../../lambdas/core/errors';
import type { GatewayConfig } from '../../lambdas/core/gateway-config';
import { validateGatewayConfig, type ValidateGatewayConfigOptions } from '../../lambdas/core/validate-gateway-config';

/**
 * Reads a Gatehouse configuration file (YAML, or JSON since JSON is YAML) and validates it.
 * Unreadable files and YAML syntax errors are reported as a ConfigError too, so callers print one kind of error.
 *
 * @throws ConfigError naming the file and each problem (with line and column for syntax errors)
 */
export function loadGatewayConfigFile(path: string, options: ValidateGatewayConfigOptions = {}): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [code === 'ENOENT'
      ? 'file not found; copy gatehouse.config.example.yaml, or pass another file with -c configFile=<path>'
      : `cannot be read (${code ?? String(error)})`]);
  }
  // uniqueKeys (the default) makes a repeated key an error instead of silently keeping the last value.
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) throw new ConfigError(path, document.errors.map((e) => e.message.split('\n')[0]!));
  return validateGatewayConfig(document.toJS(), path, options);
}
