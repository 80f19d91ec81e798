create table scores (id int primary key, value int);
create function total_score() returns bigint language sql stable as $$ select coalesce(sum(value), 0)::bigint from scores $$;
create view score_summary as select total_score() as total;
