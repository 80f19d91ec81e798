create function add_square(state float8, value float8) returns float8 language sql immutable strict as $$ select state + value * value $$;
create function root_of(state float8) returns float8 language sql immutable strict as $$ select sqrt(state) $$;
create aggregate sum_squares(float8) (sfunc = add_square, stype = float8, initcond = '0', combinefunc = float8pl, parallel = safe);
create aggregate norm(float8) (sfunc = add_square, stype = float8, finalfunc = root_of, initcond = '0');
create aggregate my_percentile(float8 order by anyelement) (sfunc = ordered_set_transition, stype = internal,
  finalfunc = percentile_disc_final, finalfunc_extra);
create table points (id int primary key, x float8);
create view point_energy as select sum_squares(x) as energy, norm(x) as length from points;
comment on aggregate norm(float8) is 'euclidean norm';
grant execute on function norm(float8) to schemainspect_test_role;
revoke execute on function sum_squares(float8) from public;
