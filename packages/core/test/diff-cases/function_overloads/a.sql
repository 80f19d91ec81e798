create function area(r double precision) returns double precision language sql immutable as $$ select pi() * r * r $$;
create procedure cleanup() language sql as $$ select 1 $$;
