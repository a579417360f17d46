import { PutRecordCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { ReplayBatchSink } from '../core/ports';

/** Options of the Firehose replay batches. */
export interface FirehoseReplayBatchesOptions {
  readonly client: FirehoseClient;
  /** The replay delivery stream (`GATEHOUSE_REPLAY_STREAM`). */
  readonly deliveryStreamName: string;
}

/**
 * Sends each replay line as one record of the replay delivery stream (Direct PUT). One record per request: a
 * Lambda serves one request at a time, so there is nothing to gather into PutRecordBatch.
 */
export function createFirehoseReplayBatches(options: FirehoseReplayBatchesOptions): ReplayBatchSink {
  return {
    async send(line) {
      await options.client.send(new PutRecordCommand({ DeliveryStreamName: options.deliveryStreamName, Record: { Data: line } }));
    },
  };
}
