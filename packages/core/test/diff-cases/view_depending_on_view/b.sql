create table t (id int primary key, a bigint, b int);
create view v1 as select id, a, b from t;
create view v2 as select id, a, b from v1 where a > 0;
create view v3 as select count(*) as n from v2;
