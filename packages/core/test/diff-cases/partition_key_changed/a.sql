create table events (id int not null, created date not null, kind text not null, payload jsonb) partition by range (created);
create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
create index events_kind_idx on events (kind);
