create table t (id int, a text, b text);
create index t_lower_a on t (lower(a), id);
alter index t_lower_a alter column 1 set statistics 1000;
create index t_upper_b on t (upper(b));
