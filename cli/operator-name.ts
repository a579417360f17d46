import os from 'node:os';
import type { CommandContext } from './command';

/** Who is at the CLI, for what it records (grants' createdBy, an ended session): GATEHOUSE_OPERATOR, else the OS user. */
export function operatorName(ctx: CommandContext): string {
  try {
    return ctx.io.env.GATEHOUSE_OPERATOR ?? os.userInfo().username;
  } catch {
    return ctx.io.env.USER ?? 'unknown';
  }
}
