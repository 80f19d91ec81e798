create table events (id int not null, created date not null, kind text not null, payload jsonb) partition by list (kind);
create table events_click partition of events for values in ('click');
create table events_2024 partition of events for values in ('view');
create table events_other partition of events default;
create index events_kind_idx on events (kind);
