create table events (id int primary key, created bigint, ref bigint not null default 0, tags bigint[], code int, amount int);
create index events_created_idx on events (created);
create view recent as select id, created from events;
