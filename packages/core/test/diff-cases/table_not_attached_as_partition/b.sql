create table p (id int not null, at date not null) partition by range (at);
create table p_1 partition of p for values from ('2024-01-01') to ('2025-01-01');
create table p_2 partition of p for values from ('2025-01-01') to ('2026-01-01');
alter table p add primary key (id, at);
create index p_at on p (at);
