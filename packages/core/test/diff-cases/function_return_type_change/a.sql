create table scores (id int primary key, value int);
create function total_score() returns int language sql stable as $$ select coalesce(sum(value), 0)::int from scores $$;
create view score_summary as select total_score() as total;
