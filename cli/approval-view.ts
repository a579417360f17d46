import type { Approval } from '../lambdas/core/approvals/approval-item';
import type { WhatRuns } from '../lambdas/core/approvals/describe-what-runs';
import { renderFields } from './table';

const PATCH_NAMES = { json: 'JSON patch', merge: 'merge patch', strategic: 'strategic merge patch', apply: 'server-side apply' } as const;
// C0/C1 controls and bidi overrides: an agent-controlled value must not move the cursor, recolour or reorder
// the operator's terminal (a body preview is the obvious place to hide an escape sequence).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `gatehouse approvals show <id>`: the approval's facts, then what will run (the request line with the query
 * parameters the approval covers, warnings, the fields a patch changes and the masked body preview, all as the
 * proxy recorded them). Approvals recorded before Gatehouse kept this show the facts only.
 */
export function approvalDetails(approval: Approval): string {
  const what = approval.whatRuns;
  const rows: Array<[string, string | undefined]> = [
    ['Approval', approval.approvalId],
    ['Status', approval.status],
    ['Request', `${approval.summary} (request ${approval.requestId})`],
    ...(what ? whatRunsFields(what) : []),
    ['Agent', `${approval.agent} (issuer ${approval.issuer}, session ${approval.session})`],
    ['Connection', approval.connection],
    ['Rule', `${approval.ruleId}: ${approval.ruleMessage}`],
    ['Created', approval.createdAt],
    ['Kind', approval.kind],
    ['Decided by', approval.approver],
    ['Decided at', approval.decidedAt],
    ['Reason', approval.reason],
    ['Window until', approval.jitUntil ?? approval.oneTimeUntil],
    ['Revoked', approval.revokedAt ? `${approval.revokedAt} by ${approval.revokedBy}` : undefined],
  ];
  const fields = renderFields(rows.map(([label, value]) => [label, value === undefined ? undefined : printable(value)] as const));
  return what ? fields + whatRunsSections(what) : fields;
}

function whatRunsFields(what: WhatRuns): Array<[string, string | undefined]> {
  // Encoded as a URL query, so a value with spaces or `&` reads unambiguously.
  const query = new URLSearchParams(what.query.map(([n, v]): [string, string] => [n, v])).toString();
  return [
    ['Runs', `${what.method} ${what.path}${query ? `?${query}` : ''}${what.moreQuery ? ` (and ${what.moreQuery} more parameters)` : ''}`],
    ['Not covered', what.leftOut.length ? `${what.leftOut.join(', ')} (they do not change what runs, so a re-run may differ in them)` : undefined],
    ['Content type', what.mediaType || undefined],
    ...what.notes.map((note): [string, string] => ['Warning', note]),
  ];
}

function whatRunsSections(what: WhatRuns): string {
  const out: string[] = [];
  if (what.patch) {
    const { type, changes, total } = what.patch;
    out.push(`\nChanges (${PATCH_NAMES[type]}, ${total}):`);
    for (const c of changes) out.push(`  ${printable(c.op)} ${printable(c.path)}${c.from !== undefined ? ` from ${printable(c.from)}` : ''}`);
    if (total > changes.length) out.push(`  … and ${total - changes.length} more`);
  }
  const body = what.body;
  if (body.state === 'shown') {
    const how = [`${body.bytes} bytes`, 'masked', ...(what.mediaType.endsWith('yaml') ? ['shown as JSON'] : []), ...(body.cut ? ['cut short'] : [])];
    out.push(`\nBody (${how.join(', ')}):`, `  ${printable(body.text)}`);
  } else if (body.state === 'hidden') {
    out.push(`\nBody (${body.bytes} bytes): not shown, because ${printable(body.why)}.`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** Control characters become `?` and line breaks spaces, so each value stays on its line and cannot drive the terminal. */
function printable(text: string): string {
  return text.replace(/[\n\t\u2028\u2029]/g, ' ').replace(CONTROL, '?');
}
