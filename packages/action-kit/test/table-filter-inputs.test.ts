import { getTableFilterInputs } from '../src/inputs';

describe('exclude-tables and include-framework-tables inputs', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('one pattern a line, blanks and comments skipped; include-framework-tables is a boolean', () => {
    process.env['INPUT_EXCLUDE-TABLES'] = 'audit.*\n\n  # not this\npublic.tmp_?\r\n';
    process.env['INPUT_INCLUDE-FRAMEWORK-TABLES'] = 'true';
    expect(getTableFilterInputs()).toEqual({
      excludeTables: ['audit.*', 'public.tmp_?'],
      includeFrameworkTables: true,
    });
  });

  it("nothing given: nothing excluded beyond the frameworks' tables", () => {
    delete process.env['INPUT_EXCLUDE-TABLES'];
    delete process.env['INPUT_INCLUDE-FRAMEWORK-TABLES'];
    expect(getTableFilterInputs()).toEqual({});
  });
});
