/**
 * List prices the cost model uses: us-east-1, late 2025, as given in the team brief (../shared/BRIEF.md, "List
 * prices for a cost model"), which took them from the AWS pricing pages of API Gateway, Lambda, DynamoDB, S3,
 * Data Firehose and CloudWatch. Check them before relying on the figures; change them here only.
 */
export const PRICES = {
  source: 'AWS list prices, us-east-1, late 2025 (team brief, checked 2026-12-02)',
  apiGatewayRestPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  /** arm64. */
  lambdaPerGbSecond: 0.0000133334,
  /** On-demand; 1 WRU = 1 KB written, every GSI write counts again. */
  dynamodbPerMillionWru: 0.625,
  /** On-demand; 1 RRU = one strongly consistent read of up to 4 KB. */
  dynamodbPerMillionRru: 0.125,
  s3PutPer1000: 0.005,
  s3GetPer1000: 0.0004,
  s3StoragePerGbMonth: 0.023,
  /** Direct PUT; each record rounded up to 5 KB. */
  firehosePerGb: 0.029,
  cloudwatchLogsPerGbIngested: 0.5,
} as const;
