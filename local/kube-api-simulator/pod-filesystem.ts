import { posix } from 'node:path';

/** One entry of a simulated container filesystem. */
export interface FsEntry {
  readonly type: 'file' | 'dir';
  /** Permission bits (0o644, 0o755). */
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  /** File contents; empty for directories. */
  data: Buffer;
}

/** A filesystem error with the errno text the shell prints (`No such file or directory`). */
export class FsError extends Error {
  constructor(readonly path: string, readonly errno: 'ENOENT' | 'ENOTDIR' | 'EISDIR' | 'EEXIST') {
    super(FS_MESSAGES[errno]);
    this.name = 'FsError';
  }
}

const FS_MESSAGES: Record<FsError['errno'], string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EEXIST: 'File exists',
};

// A fixed clock for seeded files, so listings and tar archives are the same on every run.
const SEED_MTIME = Math.floor(Date.UTC(2025, 0, 15, 8, 0, 0) / 1000);

/** What a seeded container knows about itself, to fill its files. */
export interface ContainerIdentity {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly image: string;
}

/**
 * An in-memory filesystem of one container: absolute POSIX paths to entries, with parent directories
 * always present. Nothing touches the host; exec, cp and attach of the same container share it.
 */
export class PodFilesystem {
  private readonly entries = new Map<string, FsEntry>();

  constructor(identity: ContainerIdentity) {
    this.entries.set('/', { type: 'dir', mode: 0o755, mtime: SEED_MTIME, data: Buffer.alloc(0) });
    for (const dir of ['/tmp', '/root', '/var/log', '/app', '/etc', '/bin', '/usr/bin']) this.mkdirp(dir, SEED_MTIME);
    const seed = (path: string, text: string): void => this.writeFile(path, Buffer.from(text), 0o644, SEED_MTIME);
    seed('/etc/hostname', `${identity.pod}\n`);
    seed('/etc/os-release', 'NAME="Gatehouse Simulated Linux"\nID=gatehouse-sim\nVERSION_ID=1.0\nPRETTY_NAME="Gatehouse Simulated Linux 1.0"\n');
    seed('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n');
    seed('/app/config.yaml', `# ${identity.container} (${identity.image})\nnamespace: ${identity.namespace}\npod: ${identity.pod}\nlogLevel: info\n`);
    seed('/app/README', `Simulated container ${identity.container} of pod ${identity.namespace}/${identity.pod}.\n`);
  }

  /** Normalizes a path against a working directory (`..` stops at `/`). */
  static resolve(cwd: string, path: string): string {
    return posix.resolve(cwd, path);
  }

  /** The entry at an absolute path, if any. */
  stat(path: string): FsEntry | undefined {
    return this.entries.get(posix.normalize(path));
  }

  /** A file's contents; ENOENT or EISDIR otherwise. */
  readFile(path: string): Buffer {
    const entry = this.stat(path);
    if (!entry) throw new FsError(path, 'ENOENT');
    if (entry.type === 'dir') throw new FsError(path, 'EISDIR');
    return entry.data;
  }

  /** Creates or replaces a file; the parent must be a directory (ENOENT / ENOTDIR otherwise). */
  writeFile(path: string, data: Buffer, mode = 0o644, mtime = Math.floor(Date.now() / 1000)): void {
    const p = posix.normalize(path);
    const parent = this.stat(posix.dirname(p));
    if (!parent) throw new FsError(path, 'ENOENT');
    if (parent.type !== 'dir') throw new FsError(path, 'ENOTDIR');
    if (this.stat(p)?.type === 'dir') throw new FsError(path, 'EISDIR');
    this.entries.set(p, { type: 'file', mode, mtime, data });
  }

  /** Creates a directory and its missing parents (`mkdir -p`); ENOTDIR when a file is in the way. */
  mkdirp(path: string, mtime = Math.floor(Date.now() / 1000), mode = 0o755): void {
    const p = posix.normalize(path);
    if (p === '/') return;
    this.mkdirp(posix.dirname(p), mtime);
    const existing = this.stat(p);
    if (existing?.type === 'file') throw new FsError(path, 'ENOTDIR');
    if (!existing) this.entries.set(p, { type: 'dir', mode, mtime, data: Buffer.alloc(0) });
  }

  /** Removes a file or an empty-or-not directory tree; ENOENT when missing. */
  remove(path: string): void {
    const p = posix.normalize(path);
    if (!this.entries.has(p) || p === '/') throw new FsError(path, 'ENOENT');
    for (const key of [...this.entries.keys()]) if (key === p || key.startsWith(`${p}/`)) this.entries.delete(key);
  }

  /** The names directly inside a directory, sorted as `ls` prints them. */
  list(path: string): string[] {
    const p = posix.normalize(path);
    const entry = this.stat(p);
    if (!entry) throw new FsError(path, 'ENOENT');
    if (entry.type !== 'dir') return [posix.basename(p)];
    const prefix = p === '/' ? '/' : `${p}/`;
    return [...this.entries.keys()]
      .filter((k) => k !== p && k.startsWith(prefix) && !k.slice(prefix.length).includes('/'))
      .map((k) => k.slice(prefix.length))
      .sort();
  }

  /** The path and every path below it, parents before children (what `tar cf` walks). */
  walk(path: string): string[] {
    const p = posix.normalize(path);
    if (!this.entries.has(p)) throw new FsError(path, 'ENOENT');
    const prefix = p === '/' ? '/' : `${p}/`;
    return [...this.entries.keys()].filter((k) => k === p || k.startsWith(prefix)).sort();
  }
}

/**
 * The filesystems of every container the simulator has exec'd into, created on first use and kept for
 * the simulator's lifetime, so a file copied in with `kubectl cp` is there for the next `exec cat`.
 */
export class PodFilesystems {
  private readonly byContainer = new Map<string, PodFilesystem>();

  /** The filesystem of one container (keyed by namespace, pod uid or name, container). */
  of(identity: ContainerIdentity, podUid = ''): PodFilesystem {
    const key = `${identity.namespace}/${identity.pod}/${podUid}/${identity.container}`;
    let fs = this.byContainer.get(key);
    if (!fs) {
      fs = new PodFilesystem(identity);
      this.byContainer.set(key, fs);
    }
    return fs;
  }
}
