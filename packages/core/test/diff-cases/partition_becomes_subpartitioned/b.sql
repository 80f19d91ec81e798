create table metrics (id int not null, at date not null, kind text not null) partition by range (at);
create table metrics_2024 partition of metrics for values from ('2024-01-01') to ('2025-01-01');
create table metrics_2025 partition of metrics for values from ('2025-01-01') to ('2026-01-01') partition by list (kind);
create table metrics_2025_a partition of metrics_2025 for values in ('a');
create table metrics_2025_other partition of metrics_2025 default;
create index metrics_kind_idx on metrics (kind);
