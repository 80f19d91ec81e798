create table t (id int, a text, b text);
create index t_lower_a on t (lower(a), id);
create index t_upper_b on t (upper(b));
alter index t_upper_b alter column 1 set statistics 500;
