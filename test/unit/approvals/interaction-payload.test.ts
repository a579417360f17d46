import { APPROVAL_ACTIONS } from '../../../lambdas/core/approvals/approval-message';
import { parseInteractionBody } from '../../../lambdas/core/approvals/interaction-payload';

const body = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const click = (overrides: Record<string, unknown> = {}, action: Record<string, unknown> = {}) => ({
  type: 'block_actions',
  user: { id: 'U0APPROVER', username: 'alice', team_id: 'T0' },
  team: { id: 'T0' },
  container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0APPROVALS' },
  state: {
    values: {
      gatehouse_deny_reason: { reason: { type: 'plain_text_input', value: '  change freeze  ' } },
      gatehouse_jit_minutes: { minutes: { type: 'static_select', selected_option: { value: '60' } } },
      gatehouse_jit_namespace: { namespace: { type: 'plain_text_input', value: 'prod' } },
    },
  },
  actions: [{ type: 'button', action_id: APPROVAL_ACTIONS.deny, value: 'apr-0123456789ab', ...action }],
  ...overrides,
});

describe('parseInteractionBody', () => {
  it('reads a click with the message fields from state.values', () => {
    expect(parseInteractionBody(body(click()))).toEqual({
      click: {
        action: 'deny', approvalId: 'apr-0123456789ab', userId: 'U0APPROVER', userName: 'alice', teamId: 'T0',
        channelId: 'C0APPROVALS', messageTs: '1700000000.000100', reason: 'change freeze', jitMinutes: '60', jitNamespace: 'prod',
      },
    });
  });

  it.each([
    [APPROVAL_ACTIONS.approveOnce, 'approve-once'],
    [APPROVAL_ACTIONS.approveJit, 'approve-jit'],
    [APPROVAL_ACTIONS.deny, 'deny'],
  ])('maps %s to %s', (actionId, action) => {
    const parsed = parseInteractionBody(body(click({}, { action_id: actionId })));
    expect('click' in parsed && parsed.click.action).toBe(action);
  });

  it('reads a click with no fields filled in', () => {
    const parsed = parseInteractionBody(body(click({ state: { values: {} } })));
    expect(parsed).toMatchObject({ click: { reason: '' } });
    expect('click' in parsed && parsed.click.jitMinutes).toBeUndefined();
  });

  it.each<[string, string]>([
    ['no payload field', 'foo=bar'],
    ['a payload that is not JSON', 'payload=%7Bnope'],
    ['a view submission', body(click({ type: 'view_submission' }))],
    ['a user id that is not one', body(click({ user: { id: 'admin' } }))],
    ['two actions', body(click({ actions: [{ action_id: APPROVAL_ACTIONS.deny, value: 'apr-0123456789ab' }, { action_id: APPROVAL_ACTIONS.deny, value: 'apr-0123456789ab' }] }))],
    ['a button of another app', body(click({}, { action_id: 'other_app_button' }))],
    ['a malformed approval id', body(click({}, { value: 'apr-../../etc' }))],
    ['a task token instead of an id', body(click({}, { value: 'AAAAKgAAAAIAAAAAAAAAA' }))],
  ])('ignores %s', (_case, raw) => {
    expect(parseInteractionBody(raw)).toHaveProperty('ignored');
  });
});
