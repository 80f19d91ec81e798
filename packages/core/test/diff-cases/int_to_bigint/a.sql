create table events (id int primary key, parent_id int references events(id), n int);
create index events_n on events(n);
insert into events values (1, null, 5), (2, 1, 6);
