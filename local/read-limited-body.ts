import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body up to `maxBytes`; undefined when it was longer (the rest is read and dropped, so the
 * connection stays usable for the stand-in's error answer).
 */
export function readLimitedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => { size += c.length; if (size <= maxBytes) chunks.push(c); });
    req.on('end', () => resolve(size > maxBytes ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
