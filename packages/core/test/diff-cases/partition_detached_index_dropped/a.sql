create table measurements (id bigint, at date not null, v int) partition by range (at);
create table measurements_2023 partition of measurements for values from ('2023-01-01') to ('2024-01-01');
create table measurements_2024 partition of measurements for values from ('2024-01-01') to ('2025-01-01');
create index measurements_at on measurements(at);
create table loose (id bigint, at date not null, v int);
alter table measurements attach partition loose for values from ('2020-01-01') to ('2021-01-01');
