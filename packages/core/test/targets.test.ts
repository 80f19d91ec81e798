import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../src/errors';
import { redact } from '../src/redact';
import { parseShard, selectShard, shardOf } from '../src/fleet/shard';
import { loadTargets, parseDatabaseList, parseTargetsYaml, resolveTargets } from '../src/fleet/targets';
import { isTransientFailure } from '../src/fleet/retry';

const FILE = 'db-targets.yml';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigurationError');
}

describe('targets file', () => {
  it('reads names, url-env and groups, one spec per entry with its line', () => {
    const specs = parseTargetsYaml(
      [
        '# the fleet',
        'databases:',
        '  - name: acme',
        '    url-env: ACME_DATABASE_URL',
        '    groups: [prod, eu]',
        '  - name: globex',
        '    url-env: GLOBEX_URL',
        '    groups: staging',
        '',
      ].join('\n'),
      FILE,
    );
    expect(specs).toEqual([
      { name: 'acme', urlEnv: 'ACME_DATABASE_URL', groups: ['prod', 'eu'], origin: `${FILE} line 3` },
      { name: 'globex', urlEnv: 'GLOBEX_URL', groups: ['staging'], origin: `${FILE} line 6` },
    ]);
  });

  it.each([
    [
      'databases:\n  - name: a\n    url-env: A\n  - name: a\n    url-env: B\n',
      /line 4: database name "a" is already used on line 2/,
    ],
    ['databases:\n  - name: a\n    url: postgres://u:p@h/db\n', /line 3: a URL does not belong in the targets file/],
    [
      'databases:\n  - name: a\n    url-env: A\n    group: prod\n',
      /line 4: unknown key "group" \(expected name, url-env, groups\)/,
    ],
    ['databases:\n  - name: a\n', /line 2: database "a" needs "url-env"/],
    ['databases:\n  - url-env: A\n', /line 2: a database needs a "name"/],
    ['databases:\n  - name: "bad name"\n    url-env: A\n', /line 2: database name "bad name" may only hold/],
    ['databases:\n  - name: a\n    url-env: 1A\n', /line 3: url-env "1A" is not an environment variable name/],
    ['databases:\n  - name: a\n    url-env: A\n    groups: {x: 1}\n', /line 4: "groups" must be a list/],
    ['targets:\n  - name: a\n', /line 1: unknown key "targets"/],
    ['databases: [\n', /line \d+: not valid YAML/],
    [
      'databases:\n  - name: a\n    url-env: A\n  - name: b\n   url-env: B\n',
      /line 5: not valid YAML: Sequence item without - indicator/,
    ],
    [
      'databases:\n  - name: a\n    url-env: A\n\t- name: b\n',
      /line 4: not valid YAML: Tabs are not allowed as indentation/,
    ],
    ['databases:\n  - name: a\n    name: b\n    url-env: A\n', /line 3: not valid YAML: Map keys must be unique/],
    // An unclosed quote runs to the end of the file: the line is where it opens, not where the file ends.
    [
      'databases:\n  - name: a\n    url-env: A\n  - name: "b\n    url-env: B\n  - name: c\n    url-env: C\n',
      /line 4: not valid YAML: Missing closing "quote/,
    ],
    [
      "databases:\n  - name: a\n    url-env: 'A\n  - name: b\n    url-env: B\n",
      /line 3: not valid YAML: Missing closing 'quote/,
    ],
    ['databases: []\n', /line 1: "databases" is empty/],
    ['- a\n- b\n', /line 1: expected a mapping with a "databases" list/],
  ])('rejects %j naming the file and line', (text, message) => {
    const error = errorOf(() => parseTargetsYaml(text, FILE));
    expect(error.startsWith(`${FILE} line `)).toBe(true);
    expect(error).toMatch(message);
  });

  it('resolves URLs from the environment; a missing variable fails only that target, by name and variable', () => {
    const specs = parseTargetsYaml(
      'databases:\n  - name: a\n    url-env: A_URL\n  - name: b\n    url-env: B_URL\n',
      FILE,
    );
    const [a, b] = resolveTargets(specs, { A_URL: 'postgres://app:s3cret-a@db.example:5432/a' });
    expect(a).toMatchObject({
      name: 'a',
      url: 'postgres://app:s3cret-a@db.example:5432/a',
      database: 'db.example:5432/a',
    });
    expect(a.problem).toBeUndefined();
    expect(b.url).toBeUndefined();
    expect(b.problem).toBe(`environment variable B_URL (url-env of "b", ${FILE} line 4) is not set or empty`);
    // Resolving registers the URL's password with the redactor.
    expect(redact('failed with s3cret-a')).toBe('failed with ***');
  });

  it('loads from a file with a group and a shard, or from name=url entries, not both', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-migrate-targets-'));
    try {
      const file = join(dir, 'targets.yml');
      const lines = ['databases:'];
      for (let i = 0; i < 20; i++)
        lines.push(
          `  - name: client-${i}`,
          `    url-env: CLIENT_${i}_URL`,
          `    groups: [${i % 2 ? 'prod' : 'staging'}]`,
        );
      writeFileSync(file, lines.join('\n') + '\n');
      const env = Object.fromEntries(
        Array.from({ length: 20 }, (_, i) => [`CLIENT_${i}_URL`, `postgres://u:p${i}xx@h/c${i}`]),
      );
      const prod = await loadTargets({ targetsFile: file, group: 'prod', env });
      expect(prod.map((t) => t.name)).toEqual(Array.from({ length: 10 }, (_, i) => `client-${2 * i + 1}`));
      const shards = await Promise.all(
        [1, 2, 3].map((index) => loadTargets({ targetsFile: file, group: 'prod', shard: { index, count: 3 }, env })),
      );
      expect(
        shards
          .flat()
          .map((t) => t.name)
          .sort(),
      ).toEqual(prod.map((t) => t.name).sort());
      await expect(loadTargets({ targetsFile: file, group: 'qa', env })).rejects.toThrow(
        'no target in group "qa" (groups in ' + file + ': prod, staging)',
      );
      await expect(loadTargets({ targetsFile: file, databases: ['a=postgres://h/a'] })).rejects.toThrow(
        'give a targets file or databases, not both',
      );
      await expect(loadTargets({})).rejects.toThrow(/give the databases to work on/);
      await expect(loadTargets({ targetsFile: join(dir, 'missing.yml') })).rejects.toThrow(
        `targets file ${join(dir, 'missing.yml')} does not exist`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('name=url entries', () => {
  const origin = (i: number) => `input "databases" line ${i + 1}`;

  it('parses names and URLs, skips blanks and comments, names a bare URL after its database', () => {
    const specs = parseDatabaseList(
      ['# clients', 'acme=postgres://u:pw1@h:5432/acme?sslmode=disable', '', 'postgresql://u:pw2@h:5433/globex'],
      origin,
    );
    expect(specs.map((s) => [s.name, s.url, s.origin])).toEqual([
      ['acme', 'postgres://u:pw1@h:5432/acme?sslmode=disable', 'input "databases" line 2'],
      ['h:5433/globex', 'postgresql://u:pw2@h:5433/globex', 'input "databases" line 4'],
    ]);
  });

  it('names the bad line without echoing it', () => {
    const message = errorOf(() => parseDatabaseList(['acme=postgres://h/a', 'mysql://root:hunter22@h/x'], origin));
    expect(message).toBe('input "databases" line 2: expected name=postgres://... (not shown: it may hold a password)');
    expect(errorOf(() => parseDatabaseList(['a=mysql://root:hunter23@h/x'], origin))).toBe(
      'input "databases" line 1: the URL of "a" must start with postgres:// or postgresql://',
    );
    expect(errorOf(() => parseDatabaseList(['a=postgres://h/a', 'a=postgres://h/b'], origin))).toBe(
      'input "databases" line 2: database name "a" is already used by input "databases" line 1',
    );
  });
});

describe('shards', () => {
  it('parses i/n and rejects the rest', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(errorOf(() => parseShard('0/4'))).toBe('the shard 0/4: i must be between 1 and n');
    expect(errorOf(() => parseShard('5/4', 'input "shard"'))).toBe('input "shard" 5/4: i must be between 1 and n');
    expect(errorOf(() => parseShard('half'))).toBe('the shard must look like i/n (e.g. 2/4), got "half"');
  });

  it('splits by a hash of the name: every target in exactly one shard, stable when the list changes', () => {
    const names = Array.from({ length: 400 }, (_, i) => ({ name: `client-${i}` }));
    const shards = [1, 2, 3, 4].map((index) => selectShard(names, { index, count: 4 }));
    expect(shards.flat().length).toBe(400);
    for (const shard of shards) expect(shard.length).toBeGreaterThan(60); // roughly even
    // Removing targets and reordering the rest moves nobody to another shard.
    const changed = [...names].reverse().filter((_, i) => i % 3 !== 0);
    for (const t of changed) expect(selectShard([t], { index: shardOf(t.name, 4), count: 4 })).toEqual([t]);
    expect(shards[1]).toEqual(selectShard(names, { index: 2, count: 4 }));
  });
});

describe('transient failures', () => {
  it.each([
    [{ code: '40001' }, true],
    [{ code: '40P01' }, true],
    [{ code: '55P03' }, true],
    [{ code: '53300' }, true],
    [{ code: 'ECONNRESET' }, true],
    [{ code: '57P01' }, false],
    [{ code: '23505' }, false],
    // connectDatabase's errors keep the driver's in `cause`: read by code, whatever the words.
    [new ConfigurationError('cannot connect to h:5432/a: too many connections', { cause: { code: '53300' } }), true],
    [
      new ConfigurationError('cannot connect to h:5432/a: password authentication failed', {
        cause: { code: '28P01' },
      }),
      false,
    ],
    [new ConfigurationError('cannot connect to h:5432/a: too many connections for role "x"'), false],
    [new Error('Connection terminated unexpectedly'), true],
  ])('%p is transient: %p', (error, transient) => {
    expect(isTransientFailure(error)).toBe(transient);
  });
});
