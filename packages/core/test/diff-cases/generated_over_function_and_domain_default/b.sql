create domain score as int default 10 check (value >= 0);
create function clamp100(v int, top int default 100) returns int language sql immutable as $$ select least(v, top) $$;
create table results (id int primary key, raw score, capped int generated always as (clamp100(raw)) stored);
