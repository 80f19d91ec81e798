create function add_square(state float8, value float8) returns float8 language sql immutable strict as $$ select state + value * value $$;
create aggregate sum_squares(float8) (sfunc = add_square, stype = float8, initcond = '0');
create aggregate old_agg(int) (sfunc = int4pl, stype = int);
create table points (id int primary key, x float8);
create view point_energy as select sum_squares(x) as energy from points;
insert into points values (1, 2), (2, 3);
