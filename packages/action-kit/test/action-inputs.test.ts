import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputProblems, inputsRead, repeatedTables, updatedPage } from '../../../scripts/update-action-docs';

/** action.yml is the one source of each action's inputs: the code, docs/actions.md and the READMEs follow it. */
const ACTIONS = ['create', 'verify', 'apply'];

test('every input an action reads is declared in its action.yml, and every declared input is read', () => {
  expect(ACTIONS.flatMap(inputProblems)).toEqual([]);
});

test('the scan sees literal reads and the inputs read by the shared helpers', () => {
  const apply = inputsRead('apply');
  expect(apply.has('mode')).toBe(true); // getOptionalInput('mode') in actions/apply/src
  expect(apply.has('schema-sql')).toBe(true); // through getSchemaSourceInputs
  expect(apply.has('include-framework-tables')).toBe(true); // through getTableFilterInputs
  expect(inputsRead('create').has('mode')).toBe(false);
});

test('docs/actions.md holds the generated tables and no README repeats them', () => {
  const page = readFileSync(join(__dirname, '../../../docs/actions.md'), 'utf8');
  expect(updatedPage(page)).toBe(page);
  expect(repeatedTables()).toEqual([]);
});
