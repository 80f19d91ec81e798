create table metrics (id int not null, at date not null, kind text not null) partition by range (at);
create table metrics_2024 partition of metrics for values from ('2024-01-01') to ('2025-01-01');
create table metrics_2025 partition of metrics for values from ('2025-01-01') to ('2026-01-01');
create index metrics_kind_idx on metrics (kind);
insert into metrics values (1, '2024-03-01', 'a');
