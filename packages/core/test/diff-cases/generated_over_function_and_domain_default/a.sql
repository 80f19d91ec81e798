create domain score as int default 0 check (value >= 0);
create function clamp100(v int) returns int language sql immutable as $$ select least(v, 100) $$;
create table results (id int primary key, raw score, capped int generated always as (clamp100(raw)) stored);
insert into results (id, raw) values (1, 150);
