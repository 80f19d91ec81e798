import { introspect } from '../src/diff';
import { emitRules, decideRules } from '../src/diff/compare/rules';
import { emitStatistics, decideStatistics } from '../src/diff/compare/statistics';
import { emitTriggers, decideTriggers } from '../src/diff/compare/triggers';
import { orderStatements } from '../src/diff/order';
import { DiffContext } from '../src/diff/plan';
import { query } from '../../../test/support/pg';
import { schemasEqual, withPair } from '../../../test/support/diff';

const TABLE = `create table t (a int, b int);
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create table t_log (a int);`;

const FROM = `${TABLE}
create trigger changed before insert on t for each row execute function touch();
create rule changed as on delete to t do also insert into t_log values (old.a);
create statistics changed (dependencies) on a, b from t;`;

// Each object is changed (dropped and created again) and switched off or retargeted; each new one is
// created switched off or retargeted: the ALTER must follow the CREATE.
const TO = `${TABLE}
create trigger changed before insert or update on t for each row execute function touch();
create trigger added before update on t for each row execute function touch();
alter table t disable trigger changed, disable trigger added;
create rule changed as on delete to t do also insert into t_log values (old.b);
create rule added as on update to t do also insert into t_log values (new.a);
alter table t disable rule changed;
alter table t enable replica rule added;
create statistics changed (ndistinct) on a, b from t;
create statistics added (mcv) on a, b from t;
alter statistics changed set statistics 50;
alter statistics added set statistics 10;`;

test('triggers, rules and statistics order their in-place ALTERs by dependency, not by emission order', async () => {
  await withPair('keyed', FROM, TO, async (a, b) => {
    const [from, to] = await Promise.all([introspect(a), introspect(b)]);
    const ctx = new DiffContext(from, to, {});
    for (const decide of [decideTriggers, decideRules, decideStatistics]) decide(ctx);
    for (const emit of [emitTriggers, emitRules, emitStatistics]) emit(ctx);
    const alters = ctx.statements.filter((s) => s.action === 'alter');
    expect(alters).toHaveLength(6);

    // Emitted backwards, every ALTER stands before its CREATE: only the dependency edges can put it after.
    const ordered = orderStatements([...ctx.statements].reverse(), from, to).map((s) => s.sql);
    for (const alter of alters) {
      const created = ctx.statements.find((s) => s.action === 'create' && s.object.name === alter.object.name)!;
      expect({ alter: alter.sql, after: ordered.indexOf(alter.sql) > ordered.indexOf(created.sql) }).toEqual({
        alter: alter.sql,
        after: true,
      });
    }
    await query(a, ordered.join(';\n'));
    expect(await schemasEqual(a, b)).toBe(true);
  });
});
