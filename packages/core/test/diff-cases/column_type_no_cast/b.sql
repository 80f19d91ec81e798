create table events (id int primary key, created timestamp, ref uuid not null default '00000000-0000-0000-0000-000000000000', tags uuid[], code text, amount bigint);
create index events_created_idx on events (created);
create view recent as select id, created from events;
