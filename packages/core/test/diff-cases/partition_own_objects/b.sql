create table metrics (id int generated always as identity, k int not null, v text, g int generated always as (k * 2) stored) partition by range (k);
create table metrics_1 partition of metrics for values from (0) to (10) with (fillfactor = 70);
alter table metrics_1 add constraint metrics_1_v_check check (v <> '');
create table metrics_2 partition of metrics for values from (10) to (20);
create index metrics_2_v on metrics_2 (v);
comment on column metrics_2.v is 'own to this partition';
create table metrics_3 partition of metrics for values from (20) to (30);
alter table metrics_3 set (autovacuum_enabled = false);
alter table metrics_3 add constraint metrics_3_v_check check (v <> 'y') not valid;
