create table events (id serial primary key, note text);
create table event_refs (event_id int references events (id));
insert into events (note) values ('a'), ('b');
