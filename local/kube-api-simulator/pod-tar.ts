import { posix } from 'node:path';
import { extract, pack } from 'tar-stream';
import { FsError, PodFilesystem } from './pod-filesystem';

/** What a simulated `tar` run produced: the archive (for `cf -`), diagnostics, exit code. */
export interface TarResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

/**
 * `tar cf - <path>...` as GNU tar does it, which is what `kubectl cp pod:/src dst` runs: member names
 * lose their leading `/` (with GNU tar's notice on stderr, which kubectl shows), a directory is stored
 * before what it holds, and a missing path is reported and makes the exit code 2 after the others.
 */
export async function createArchive(fs: PodFilesystem, cwd: string, paths: readonly string[]): Promise<TarResult> {
  const archive = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of archive) chunks.push(chunk as Buffer);
  })();
  let stderr = '';
  let code = 0;
  let warnedLeadingSlash = false;
  for (const given of paths) {
    const absolute = PodFilesystem.resolve(cwd, given);
    let walked: string[];
    try {
      walked = fs.walk(absolute);
    } catch (error) {
      if (!(error instanceof FsError)) throw error;
      stderr += `tar: ${given}: Cannot stat: ${error.message}\n`;
      code = 2;
      continue;
    }
    if (given.startsWith('/') && !warnedLeadingSlash) {
      stderr += "tar: Removing leading `/' from member names\n";
      warnedLeadingSlash = true;
    }
    // Members are named as given, relative: the given prefix plus the path below it.
    const base = posix.normalize(given).replace(/^\/+/, '');
    for (const path of walked) {
      const entry = fs.stat(path)!;
      const below = path.slice(absolute.length).replace(/^\//, '');
      const name = below ? posix.join(base, below) : base;
      const mtime = new Date(entry.mtime * 1000);
      if (entry.type === 'dir') archive.entry({ name: `${name}/`, type: 'directory', mode: entry.mode, mtime, uname: 'root', gname: 'root' });
      else archive.entry({ name, type: 'file', mode: entry.mode, mtime, size: entry.data.length, uname: 'root', gname: 'root' }, entry.data);
    }
  }
  if (code) stderr += 'tar: Exiting with failure status due to previous errors\n';
  archive.finalize();
  await done;
  return { stdout: Buffer.concat(chunks), stderr, code };
}

/**
 * `tar -xmf - [-C dir]` (what `kubectl cp src pod:/dst` runs) on an archive read from stdin: creates
 * directories and regular files under `dir`, parents as needed, with the current time (`-m`). Leading
 * `/` is stripped and `..` members are refused, as GNU tar does; links and devices are skipped.
 */
export async function extractArchive(fs: PodFilesystem, dir: string, archive: Buffer): Promise<TarResult> {
  if (fs.stat(dir)?.type !== 'dir') {
    return { stdout: Buffer.alloc(0), stderr: `tar: ${dir}: Cannot open: No such file or directory\ntar: Error is not recoverable: exiting now\n`, code: 2 };
  }
  let stderr = '';
  let code = 0;
  const reader = extract();
  const consumed = (async () => {
    for await (const entry of reader) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const name = entry.header.name.replace(/^\/+/, '');
      if (name.split('/').includes('..')) {
        stderr += `tar: ${entry.header.name}: Member name contains '..'\n`;
        code = 2;
        continue;
      }
      const target = PodFilesystem.resolve(dir, name || '.');
      try {
        if (entry.header.type === 'directory') fs.mkdirp(target);
        else if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
          fs.mkdirp(posix.dirname(target));
          fs.writeFile(target, Buffer.concat(chunks), (entry.header.mode ?? 0o644) & 0o7777);
        }
      } catch (error) {
        if (!(error instanceof FsError)) throw error;
        stderr += `tar: ${name}: Cannot open: ${error.message}\n`;
        code = 2;
      }
    }
  })();
  reader.end(archive);
  try {
    await consumed;
  } catch {
    // tar-stream's complaint about a damaged archive; GNU tar's words for it.
    return { stdout: Buffer.alloc(0), stderr: `${stderr}tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n`, code: 2 };
  }
  if (archive.length === 0) return { stdout: Buffer.alloc(0), stderr: 'tar: This does not look like a tar archive\ntar: Exiting with failure status due to previous errors\n', code: 2 };
  if (code) stderr += 'tar: Exiting with failure status due to previous errors\n';
  return { stdout: Buffer.alloc(0), stderr, code };
}
