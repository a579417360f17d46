import { matchesLabels, parseLabelSelector } from '../../../local/kube-api-simulator/label-selector';
import { KubeApiError } from '../../../local/kube-api-simulator/status-errors';

const labels = { app: 'api', tier: 'backend', version: '3', 'example.com/team': 'payments' };

describe('label selectors', () => {
  it.each([
    ['', true],
    ['app=api', true],
    ['app==api', true],
    ['app = api', true],
    ['app=web', false],
    ['app!=web', true],
    ['app!=api', false],
    ['missing!=x', true],
    ['app in (api, web)', true],
    ['app in (web,db)', false],
    ['app notin (web,db)', true],
    ['app notin (api)', false],
    ['missing notin (x)', true],
    ['missing in (x)', false],
    ['tier', true],
    ['missing', false],
    ['!missing', true],
    ['!tier', false],
    ['version>2', true],
    ['version<3', false],
    ['missing>1', false],
    ['example.com/team=payments', true],
    ['app=api,tier=backend', true],
    ['app=api,tier=frontend', false],
    ['app in (api),!missing,version>1', true],
  ])('%p matches the labels: %p', (selector, expected) => {
    // Arrange
    const requirements = parseLabelSelector(selector);

    // Act
    const result = matchesLabels(requirements, labels);

    // Assert
    expect(result).toBe(expected);
  });

  it.each([
    ['app in (a', 'expected'],
    ['app in ()', "values set can't be empty"],
    ['=x', 'expected'],
    ['app=x,', 'expected'],
    ['app>x', 'must be an integer'],
    ['-bad-=x', 'key'],
    ['app=-bad-', 'values[0][app]'],
    ['app ~ x', 'expected'],
  ])('%p is a 400 BadRequest', (selector, fragment) => {
    // Act
    const parse = (): unknown => parseLabelSelector(selector);

    // Assert
    expect(parse).toThrow(KubeApiError);
    try {
      parse();
    } catch (err) {
      expect((err as KubeApiError).code).toBe(400);
      expect((err as KubeApiError).reason).toBe('BadRequest');
      expect((err as KubeApiError).message).toContain(fragment);
    }
  });

  it('treats an absent label as unequal, so != and notin select objects without it', () => {
    // Arrange
    const requirements = parseLabelSelector('env!=prod,env notin (staging)');

    // Act / Assert
    expect(matchesLabels(requirements, undefined)).toBe(true);
  });
});
