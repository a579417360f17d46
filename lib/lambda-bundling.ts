import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every Gatehouse function is bundled: locally with esbuild (no Docker), CommonJS for Node 22, minified
 * with source maps, the AWS SDK pinned to the lockfile rather than whatever the runtime ships, and the given
 * statement as a banner (the embedded configuration, which can be far larger than Lambda's 4 KB environment).
 */
export function lambdaBundling(banner: string): BundlingOptions {
  return {
    forceDockerBundling: false,
    format: OutputFormat.CJS,
    target: 'node22',
    minify: true,
    sourceMap: true,
    bundleAwsSDK: true,
    banner,
  };
}
