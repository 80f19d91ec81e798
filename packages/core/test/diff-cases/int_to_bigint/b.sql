create table events (id bigint primary key, parent_id bigint references events(id), n int);
create index events_n on events(n);
