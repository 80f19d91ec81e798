import { fitOutput } from '../src/outputs';

describe('fitOutput', () => {
  it('keeps a text that fits as it is', () => {
    expect(fitOutput('ALTER TABLE t ADD COLUMN c int;\n', 100)).toEqual({
      text: 'ALTER TABLE t ADD COLUMN c int;\n',
      truncated: false,
    });
  });

  it('cuts a long text at a line end within the limit and says so on its last line', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `ALTER TABLE t${i} ADD COLUMN c int;`);
    const text = lines.join('\n') + '\n';
    const fitted = fitOutput(text, 2000);
    expect(fitted.truncated).toBe(true);
    expect(fitted.text.length).toBeLessThanOrEqual(2000);
    const kept = fitted.text.split('\n').slice(0, -2);
    expect(kept.length).toBeGreaterThan(10);
    for (const [i, line] of kept.entries()) expect(line).toBe(lines[i]);
    expect(fitted.text).toMatch(
      new RegExp(`-- \\[cut by db-migrate to fit GitHub's output limit: ${text.length} characters in all`),
    );
  });
});
