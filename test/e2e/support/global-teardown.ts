import fs from 'node:fs';
import { e2eReadyFile, stopProcessGroup } from './global-setup';

/** Stops the local Gatehouses started by the global setup (each one's whole process group). */
export default async function globalTeardown(): Promise<void> {
  const misbehaving = (globalThis as Record<string, unknown>).__misbehavingUpstream as { close(): Promise<void> } | undefined;
  await misbehaving?.close();
  const readyFile = e2eReadyFile();
  if (!fs.existsSync(readyFile)) return;
  const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as { pid: number; isolated?: { pid: number } };
  fs.rmSync(readyFile, { force: true });
  const pids = [ready.pid, ...(ready.isolated ? [ready.isolated.pid] : [])];
  for (const pid of pids) stopProcessGroup(pid, 'SIGTERM');
  // Give them a moment to close DynamoDB Local and the servers, then make sure.
  const deadline = Date.now() + 2000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const pid of pids) stopProcessGroup(pid, 'SIGKILL');
}

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}
