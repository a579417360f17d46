import { ApplicationLogLevel, LoggingFormat, SystemLogLevel, type FunctionOptions } from 'aws-cdk-lib/aws-lambda';

/** The log levels Gatehouse's constructs take (`logLevel` props), as Powertools names them. */
export type GatehouseLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * The logging configuration of every Gatehouse Lambda: JSON log format, so that Lambda can filter by level.
 *
 * - System (platform) lines at WARN: START, END and REPORT are INFO lines, about 300 B per invocation, and say
 *   nothing Lambda's own metrics (Duration, Errors, Throttles) do not; warnings such as dropped logs still come.
 * - Application lines at the construct's level. Lambda sets it as `AWS_LAMBDA_LOG_LEVEL`, and Powertools Logger
 *   then uses it instead of `POWERTOOLS_LOG_LEVEL` (Advanced Logging Controls win), so DEBUG from the prop works.
 *   WARN and ERROR are kept at INFO: Lambda reads a JSON line without a `level` key as INFO, and the EMF metric
 *   documents Powertools Metrics writes have none, so a stricter level would silently drop every metric.
 */
export function lambdaLogging(logLevel: GatehouseLogLevel = 'INFO'): Pick<FunctionOptions, 'loggingFormat' | 'systemLogLevelV2' | 'applicationLogLevelV2'> {
  return {
    loggingFormat: LoggingFormat.JSON,
    systemLogLevelV2: SystemLogLevel.WARN,
    applicationLogLevelV2: logLevel === 'DEBUG' ? ApplicationLogLevel.DEBUG : ApplicationLogLevel.INFO,
  };
}
