create table t (id int not null, at date not null, v text) partition by range (at);
create table t_2024 partition of t for values from ('2024-01-01') to ('2025-01-01');
create table t_2025 partition of t for values from ('2025-01-01') to ('2026-01-01');
alter table t_2025 add primary key (id, at);
