import type { RequestInfo } from '../request-info';
import type { CredentialPattern } from './credential-patterns';
import { maskResponse } from './mask-response';

/** How a stream is cut into units that are masked on their own. */
export type StreamKind = 'watch' | 'lines';

/** What a stream masker needs: as `maskResponse`, plus the kind of stream. */
export interface StreamMaskerOptions {
  readonly kind: StreamKind;
  readonly contentType: string;
  readonly request: RequestInfo;
  readonly unmaskSecrets: boolean;
  readonly patterns?: readonly CredentialPattern[];
  /**
   * Longest unit held back waiting for its newline. Past it, the unit is masked and sent as it is (a watch
   * event that long on a Secret stream is dropped and counted instead). @default 1 MiB
   */
  readonly maxUnitBytes?: number;
  /** Most lines a PEM private key block is held for while its END line is awaited. @default 200 */
  readonly maxPemLines?: number;
}

/** An incremental masker: feed it the stream's chunks, send on what it returns. */
export interface StreamMasker {
  /** Masks every complete unit in `chunk` (with what was held back before); holds back an incomplete one. */
  push(chunk: Buffer): Buffer;
  /** The stream ended: masks and returns what was held back. */
  end(): Buffer;
  /** Masked values per kind so far, for the record. */
  readonly counts: Readonly<Record<string, number>>;
  /** Units (events or lines) passed so far. */
  readonly units: number;
}

const NEWLINE = 0x0a;
const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * Masks a stream unit by unit, as the buffered path masks a whole body: a watch stream event by event (one JSON
 * object per line; Secret objects, Table rows, last-applied annotations in each), a followed log line by line.
 * A unit is only masked once it is complete, so a credential split across two chunks is still found; a PEM
 * private key, which spans lines, is held until its END line so no line of it leaves unmasked.
 */
export function createStreamMasker(options: StreamMaskerOptions): StreamMasker {
  const maxUnit = options.maxUnitBytes ?? 1024 * 1024;
  const maxPemLines = options.maxPemLines ?? 200;
  const counts: Record<string, number> = {};
  let held: Buffer = Buffer.alloc(0);
  let pem: Buffer[] | undefined;
  let units = 0;

  const maskUnit = (unit: Buffer): Buffer => {
    units++;
    const result = maskResponse({ body: unit, contentType: options.contentType, request: options.request, unmaskSecrets: options.unmaskSecrets, patterns: options.patterns });
    for (const [id, n] of Object.entries(result.counts)) counts[id] = (counts[id] ?? 0) + n;
    return result.body;
  };

  /** A complete log line (with its newline): PEM blocks are gathered and masked whole. */
  const line = (unit: Buffer): Buffer[] => {
    if (pem) {
      pem.push(unit);
      if (PEM_END.test(unit.toString('utf8')) || pem.length >= maxPemLines) {
        const block = Buffer.concat(pem);
        pem = undefined;
        return [maskUnit(block)];
      }
      return [];
    }
    const text = unit.toString('utf8');
    if (PEM_BEGIN.test(text) && !PEM_END.test(text)) {
      pem = [unit];
      return [];
    }
    return [maskUnit(unit)];
  };

  const complete = (unit: Buffer): Buffer[] => (options.kind === 'lines' ? line(unit) : [maskUnit(unit)]);

  return {
    push(chunk) {
      const data = held.length > 0 ? Buffer.concat([held, chunk]) : chunk;
      const out: Buffer[] = [];
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        out.push(...complete(data.subarray(start, nl + 1)));
        start = nl + 1;
      }
      held = Buffer.from(data.subarray(start));
      // A unit that never ends must not grow without limit: mask and pass it as it is.
      if (held.length > maxUnit) {
        out.push(...complete(held));
        held = Buffer.alloc(0);
      }
      return Buffer.concat(out);
    },
    end() {
      const out: Buffer[] = [];
      if (held.length > 0) out.push(...complete(held));
      held = Buffer.alloc(0);
      if (pem) {
        // The stream ended inside a key: mask what was held as one block (to the end, as for a missing END line).
        const block = Buffer.concat(pem);
        pem = undefined;
        out.push(maskUnit(block));
      }
      return Buffer.concat(out);
    },
    get counts() {
      return counts;
    },
    get units() {
      return units;
    },
  };
}
