import { cli } from '../../../test/support/cli';
import { GLOBAL_OPTIONS, type OptionSpec } from '../src/command';
import { commands } from '../src/commands';
import { closestName, commandHelp, defaultText } from '../src/help';
import { cliLogger } from '../src/index';

/** The help line of one option: its flag, then its text, default and environment variable. */
function lineOf(help: string, name: string): string {
  const lines = help.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^  (-., |    )--${name}( |$)`).test(l));
  if (at < 0) return '';
  // A long flag puts its text on the next line.
  return lines[at].trim().split(/\s{2,}/).length > 1 ? lines[at] : `${lines[at]} ${lines[at + 1]}`;
}

describe('help', () => {
  it.each(commands.map((c) => [c.name, c] as const))(
    '%s --help lists every option with its text, default and environment, and examples',
    async (name, command) => {
      const { code, stdout } = await cli([name, '--help']);
      expect(code).toBe(0);
      expect(stdout).toBe(commandHelp(command));
      expect(stdout.startsWith(command.summary)).toBe(true);
      for (const [option, spec] of Object.entries({ ...command.options, ...GLOBAL_OPTIONS }) as [
        string,
        OptionSpec,
      ][]) {
        const line = lineOf(stdout, option);
        expect(spec.description.trim()).not.toBe('');
        expect(line).toContain(spec.description);
        if (spec.default) expect(line).toContain(`(default: ${defaultText(spec)})`);
        if (spec.env) {
          expect(line).toContain(`[env: ${spec.env}]`);
          expect(stdout).toMatch(new RegExp(`ENVIRONMENT\\n(.*\\n)*  ${spec.env} +read when --${option} is not given`));
        }
        if (spec.type === 'string') expect(line).toMatch(new RegExp(`--${option} \\S`));
        // The usage names every required option.
        if (spec.required) expect(command.usage).toContain(`--${option}`);
      }
      expect(command.examples.length).toBeGreaterThan(0);
      for (const example of command.examples) {
        expect(stdout).toContain(`  # ${example.comment}\n  $ db-migrate ${example.command}\n`);
        expect(example.command.startsWith(`${name} `)).toBe(true);
      }
    },
  );

  it('examples use only options of their command', () => {
    for (const command of commands) {
      for (const example of command.examples) {
        for (const [, flag] of example.command.matchAll(/(?:^| )--([a-z-]+)/g))
          expect([command.name, flag, Object.keys(command.options).includes(flag)]).toEqual([command.name, flag, true]);
      }
    }
  });

  it("help <command> prints that command's help; the global help lists every command with one line", async () => {
    const create = await cli(['help', 'create']);
    expect(create).toEqual({ code: 0, stdout: (await cli(['create', '--help'])).stdout, stderr: '' });
    expect(create.stdout).toContain('--goal is a commit of the schema repository');

    const verify = await cli(['verify', '-h']);
    expect(verify.stdout).toContain("--base-ref is a commit of the migrations' repository (the one holding --dir)");

    const global = await cli(['--help']);
    expect(global.code).toBe(0);
    for (const command of commands)
      expect(global.stdout).toContain(`  ${command.name.padEnd(11)}  ${command.summary}\n`);
    const unknown = await cli(['help', 'verfy']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^db-migrate: unknown command "verfy"; did you mean "verify"\?/);
  });

  it('a mistyped option: did you mean, the usage, exit 1; help wins over a bad option', async () => {
    const typo = await cli(['apply', '--dri', '--dir', 'm']);
    expect(typo.code).toBe(1);
    expect(typo.stdout).toBe('');
    expect(typo.stderr).toMatch(
      /^db-migrate apply: unknown option --dri; did you mean --dry-run\?\nusage: db-migrate apply --dir/,
    );
    const far = await cli(['up', '--colour']);
    expect(far.code).toBe(1);
    expect(far.stderr).toMatch(/^db-migrate up: unknown option --colour\n/);
    expect((await cli(['create', '--bogus', '--help'])).code).toBe(0);
  });

  it('closestName: a typo of the start or of the whole name, never a far one', () => {
    const known = ['dir', 'dry-run', 'schema-dir', 'goal', 'to'];
    expect(closestName('dri', known)).toBe('dry-run');
    expect(closestName('schema-dri', known)).toBe('schema-dir');
    expect(closestName('gaol', known)).toBe('goal');
    expect(closestName('foo', known)).toBeUndefined();
    expect(closestName('verbose', known)).toBeUndefined();
  });
});

describe('the CLI logger', () => {
  const capture = () => {
    let err = '';
    const spy = jest
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
    return { text: () => err, restore: () => spy.mockRestore() };
  };

  it('--quiet keeps warnings and errors; a shared terminal drops the progress lines stdout repeats', () => {
    const out = capture();
    try {
      const quiet = cliLogger({ verbose: false, quiet: true, shared: false });
      quiet.info('building the schema');
      quiet.warning('careful');
      const shared = cliLogger({ verbose: false, quiet: false, shared: true, repeated: /^nothing to do: / });
      shared.info('nothing to do: the schema did not change');
      shared.info('base: abc');
      const separate = cliLogger({ verbose: false, quiet: false, shared: false, repeated: /^nothing to do: / });
      separate.info('nothing to do: again');
    } finally {
      out.restore();
    }
    expect(out.text()).toBe('warning: careful\nbase: abc\nnothing to do: again\n');
  });
});
