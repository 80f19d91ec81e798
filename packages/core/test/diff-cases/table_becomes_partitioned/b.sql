create table events (id int not null, at date not null, kind text, primary key (id, at)) partition by range (at);
create table events_2024 partition of events for values from ('2024-01-01') to ('2025-01-01');
create table events_2025 partition of events for values from ('2025-01-01') to ('2026-01-01');
create table refs (id int primary key, event_id int, event_at date, foreign key (event_id, event_at) references events (id, at));
create index events_kind_idx on events (kind);
