import fs from 'node:fs';
import { e2eReadyFile } from './global-setup';

/** Stops the local Gatehouse started by the global setup (its whole process group). */
export default async function globalTeardown(): Promise<void> {
  const misbehaving = (globalThis as Record<string, unknown>).__misbehavingUpstream as { close(): Promise<void> } | undefined;
  await misbehaving?.close();
  const readyFile = e2eReadyFile();
  if (!fs.existsSync(readyFile)) return;
  const { pid } = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as { pid: number };
  fs.rmSync(readyFile, { force: true });
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  await new Promise((r) => setTimeout(r, 500));
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
