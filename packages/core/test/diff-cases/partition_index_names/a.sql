create table ev (id int not null, at date not null, kind text, body text) partition by range (at);
create table ev_1 partition of ev for values from ('2024-01-01') to ('2025-01-01');
create table ev_2 partition of ev for values from ('2025-01-01') to ('2026-01-01') partition by list (kind);
create table ev_2_a partition of ev_2 for values in ('a');
create index ev_body_idx on ev (body);
create index custom_kind_1 on ev_1 (kind);
create index ev_at_idx on only ev (at);
create index ev_1_at_own on ev_1 (at);
