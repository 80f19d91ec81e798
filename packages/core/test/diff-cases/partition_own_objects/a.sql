create table metrics (id int generated always as identity, k int not null, v text, g int generated always as (k * 2) stored) partition by range (k);
create table metrics_1 partition of metrics for values from (0) to (10);
create table metrics_2 partition of metrics for values from (10) to (20);
create table metrics_3 partition of metrics for values from (20) to (30) with (fillfactor = 80);
create index metrics_3_v on metrics_3 (v);
alter table metrics_3 add constraint metrics_3_v_check check (v <> 'x');
insert into metrics (k, v) values (1, 'a'), (12, 'b'), (22, 'c');
