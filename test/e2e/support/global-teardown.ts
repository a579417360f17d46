import fs from 'node:fs';
import { E2E_READY_FILE } from './global-setup';

/** Stops the local Gatehouse started by the global setup (its whole process group). */
export default async function globalTeardown(): Promise<void> {
  const misbehaving = (globalThis as Record<string, unknown>).__misbehavingUpstream as { close(): Promise<void> } | undefined;
  await misbehaving?.close();
  if (!fs.existsSync(E2E_READY_FILE)) return;
  const { pid } = JSON.parse(fs.readFileSync(E2E_READY_FILE, 'utf8')) as { pid: number };
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
