import { renderFields, renderTable } from '../../../cli/table';

describe('renderTable', () => {
  it('pads columns by three spaces with upper-case headers and no trailing blanks, like kubectl', () => {
    const text = renderTable([{ header: 'name' }, { header: 'status' }], [['api-1', 'Running'], ['worker-long-name', 'Pending']]);

    expect(text).toBe(['NAME               STATUS', 'api-1              Running', 'worker-long-name   Pending', ''].join('\n'));
  });

  it('right-aligns numeric columns', () => {
    const text = renderTable([{ header: 'session' }, { header: 'requests', align: 'right' }], [['a', '5'], ['b', '120']]);

    expect(text.split('\n')).toEqual(['SESSION   REQUESTS', 'a                5', 'b              120', '']);
  });

  it('keeps every row on one line so grep and awk work', () => {
    const text = renderTable([{ header: 'a' }, { header: 'b' }], [['x\ny', 'z']]);

    expect(text.trim().split('\n')).toHaveLength(2);
    expect(text).toContain('x y');
  });
});

describe('renderFields', () => {
  it('aligns values and leaves out empty ones', () => {
    expect(renderFields([['Request', 'r1'], ['Rule', undefined], ['Decision', 'allowed']])).toBe('Request:   r1\nDecision:  allowed\n');
  });
});
